import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;

/**
 * The proxy benchmark's replica: answers every request (any method, any path) with a small fixed JSON body as soon as
 * it has read the request body, over HTTP/1.1 keep-alive. It does nothing else, so that what a proxy in front of it
 * adds is what the benchmark sees.
 *
 * <p>Run from the shaded jar, which holds Vert.x: {@code java -cp sluice.jar FastBackend.java --port N --loops 1}.
 * The port is {@code --port}, else {@code $PORT} (a Sluice node sets both), else 5000. Listens on 127.0.0.1 only.
 */
public final class FastBackend {

  // Built once: the answer and its header values are the same for every request.
  private static final Buffer ANSWER = Buffer.buffer("{\"prediction\":\"ok\"}");
  private static final CharSequence JSON = HttpHeaders.createOptimized("application/json");
  private static final CharSequence LENGTH = HttpHeaders.createOptimized(Integer.toString(ANSWER.length()));

  public static void main(String[] args) {
    int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "5000"));
    int loops = 1;
    for (int i = 0; i + 1 < args.length; i++) {
      switch (args[i]) {
        case "--port" -> port = Integer.parseInt(args[++i]);
        case "--loops" -> loops = Integer.parseInt(args[++i]);
        default -> { }
      }
    }
    int listenPort = port;
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(loops));
    vertx.deployVerticle(() -> new VerticleBase() {
          @Override
          public Future<?> start() {
            // Plain HTTP/1.1 only: no h2c upgrade sniffing and no WebSocket compression handler in the pipeline,
            // which Vert.x adds by default and which cost a little on every request.
            return vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(listenPort)
                    .setTcpNoDelay(true)
                    .setHttp2ClearTextEnabled(false)
                    .setPerMessageWebSocketCompressionSupported(false)
                    .setPerFrameWebSocketCompressionSupported(false))
                .requestHandler(FastBackend::answer)
                .listen();
          }
        }, new DeploymentOptions().setInstances(loops))
        .onSuccess(id -> System.out.println("FastBackend listening on 127.0.0.1:" + listenPort))
        .onFailure(e -> {
          System.err.println("FastBackend could not start: " + e);
          System.exit(1);
        });
  }

  /** Reads the body to its end (dropping it; the server discards unhandled chunks), then answers. */
  private static void answer(HttpServerRequest request) {
    request.end().onComplete(read -> request.response()
        .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
        .putHeader(HttpHeaders.CONTENT_LENGTH, LENGTH)
        .end(ANSWER));
  }
}

import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.ServerWebSocket;

/**
 * The WebSocket benchmark's replica: a WebSocket echo on any path (every message back as it came, text as text,
 * binary as binary), and 200 to any plain HTTP request (its health and ready probes). It does nothing else, so that
 * what a proxy in front of it adds is what the benchmark sees.
 *
 * <p>Run from the shaded jar, which holds Vert.x: {@code java -cp sluice.jar EchoBackend.java --port N}. The port is
 * {@code --port}, else {@code $PORT} (a Sluice node sets both), else 5000. Listens on 127.0.0.1 only.
 */
public final class EchoBackend {

  private static final int MAX_MESSAGE = 16 << 20;

  public static void main(String[] args) {
    int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "5000"));
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals("--port")) {
        port = Integer.parseInt(args[++i]);
      }
    }
    int listenPort = port;
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
    vertx.deployVerticle(() -> new VerticleBase() {
          @Override
          public Future<?> start() {
            return vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(listenPort)
                    .setTcpNoDelay(true)
                    .setHttp2ClearTextEnabled(false)
                    .setPerMessageWebSocketCompressionSupported(false)
                    .setPerFrameWebSocketCompressionSupported(false)
                    .setMaxWebSocketFrameSize(MAX_MESSAGE)
                    .setMaxWebSocketMessageSize(MAX_MESSAGE))
                .webSocketHandler(EchoBackend::echo)
                .requestHandler(request -> request.response().end("ok"))
                .listen();
          }
        }, new DeploymentOptions())
        .onSuccess(id -> System.out.println("EchoBackend listening on 127.0.0.1:" + listenPort))
        .onFailure(e -> {
          System.err.println("EchoBackend could not start: " + e);
          System.exit(1);
        });
  }

  private static void echo(ServerWebSocket socket) {
    socket.textMessageHandler(socket::writeTextMessage);
    socket.binaryMessageHandler(socket::writeBinaryMessage);
    socket.exceptionHandler(e -> socket.close());
  }
}

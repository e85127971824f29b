import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The gRPC benchmark's replica: one port that speaks HTTP/1.1 and HTTP/2 in clear text (prior knowledge and the h2c
 * upgrade), so that the same process answers the benchmark's gRPC calls and its HTTP/1.1 requests.
 *
 * <ul>
 *   <li>{@code POST /bench.Echo/Say} with {@code content-type: application/grpc}: a unary gRPC echo. The request
 *       body must be one length-prefixed, uncompressed message; it is sent back as it came, with
 *       {@code content-type: application/grpc} and the trailer {@code grpc-status: 0}. A malformed message gets
 *       {@code grpc-status: 13} and is counted as bad.
 *   <li>{@code GET /stats}: {@code grpc=N http=N bad=N connections=N}, the answers given so far and the
 *       connections that carried calls or requests (not the node's probes, nor /stats). The run script reads it
 *       around every measured run: h2load only sees HTTP statuses, and a proxy's own gRPC errors come with HTTP 200,
 *       so the backend's count is what shows that every call reached it and was answered {@code grpc-status: 0}; the
 *       connections show how a proxy reaches it (new connections, or pooled ones).
 *   <li>anything else (the probes, the HTTP/1.1 load): a small fixed JSON body as soon as the request body is read.
 * </ul>
 *
 * <p>It does nothing else, so that what a proxy in front of it adds is what the benchmark sees. Run from the shaded
 * jar, which holds Vert.x: {@code java -cp sluice.jar EchoBackend.java --port N --loops 1}. The port is
 * {@code --port}, else {@code $PORT} (a Sluice node sets both), else 5000. Listens on 127.0.0.1 only.
 */
public final class EchoBackend {

  private static final String SAY = "/bench.Echo/Say";
  // Built once: the answers and their header values are the same for every request.
  private static final Buffer ANSWER = Buffer.buffer("{\"prediction\":\"ok\"}");
  private static final CharSequence JSON = HttpHeaders.createOptimized("application/json");
  private static final CharSequence LENGTH = HttpHeaders.createOptimized(Integer.toString(ANSWER.length()));
  private static final CharSequence GRPC = HttpHeaders.createOptimized("application/grpc");
  private static final CharSequence GRPC_STATUS = HttpHeaders.createOptimized("grpc-status");
  private static final CharSequence GRPC_MESSAGE = HttpHeaders.createOptimized("grpc-message");
  private static final CharSequence OK = HttpHeaders.createOptimized("0");
  private static final CharSequence INTERNAL = HttpHeaders.createOptimized("13");

  private static final LongAdder GRPC_ANSWERS = new LongAdder();
  private static final LongAdder HTTP_ANSWERS = new LongAdder();
  private static final LongAdder BAD = new LongAdder();
  private static final LongAdder CONNECTIONS = new LongAdder();
  private static final Set<HttpConnection> SEEN = ConcurrentHashMap.newKeySet();

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
            // h2c on (prior knowledge and upgrade) beside HTTP/1.1; no WebSocket compression handler, which Vert.x
            // adds by default and which costs a little on every HTTP/1.1 request. Streams per connection are raised
            // above Vert.x's default of 100 so that no client here ever waits for one (h2load sends 64 at once;
            // nginx uses a connection per call in flight anyway).
            return vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(listenPort)
                    .setTcpNoDelay(true)
                    .setHttp2ClearTextEnabled(true)
                    .setInitialSettings(new Http2Settings().setMaxConcurrentStreams(1024))
                    .setPerMessageWebSocketCompressionSupported(false)
                    .setPerFrameWebSocketCompressionSupported(false))
                .requestHandler(EchoBackend::answer)
                .listen();
          }
        }, new DeploymentOptions().setInstances(loops))
        .onSuccess(id -> System.out.println("EchoBackend listening on 127.0.0.1:" + listenPort))
        .onFailure(e -> {
          System.err.println("EchoBackend could not start: " + e);
          System.exit(1);
        });
  }

  private static void answer(HttpServerRequest request) {
    String path = request.path();
    if (request.method() == HttpMethod.GET && "/stats".equals(path)) {
      request.response().putHeader(HttpHeaders.CONTENT_TYPE, "text/plain")
          .end("grpc=" + GRPC_ANSWERS.sum() + " http=" + HTTP_ANSWERS.sum() + " bad=" + BAD.sum()
              + " connections=" + CONNECTIONS.sum() + "\n");
      return;
    }
    if (!"/ready".equals(path) && !"/health".equals(path)) {
      counted(request.connection());
    }
    if (request.method() == HttpMethod.POST && SAY.equals(path)) {
      String type = request.getHeader(HttpHeaders.CONTENT_TYPE);
      if (request.version() == HttpVersion.HTTP_2 && type != null && type.startsWith("application/grpc")) {
        request.body().onSuccess(message -> echo(request, message));
        return;
      }
    }
    // Reads the body to its end (dropping it; the server discards unhandled chunks), then answers.
    request.end().onComplete(read -> {
      HTTP_ANSWERS.increment();
      request.response()
          .putHeader(HttpHeaders.CONTENT_TYPE, JSON)
          .putHeader(HttpHeaders.CONTENT_LENGTH, LENGTH)
          .end(ANSWER);
    });
  }

  /** Counts a connection the first time it carries a call or request (the node's probes and /stats are not). */
  private static void counted(HttpConnection connection) {
    if (SEEN.add(connection)) {
      CONNECTIONS.increment();
      connection.closeHandler(closed -> SEEN.remove(connection));
    }
  }

  /** A unary call: the one length-prefixed message back, then {@code grpc-status: 0} as a trailer. */
  private static void echo(HttpServerRequest request, Buffer message) {
    boolean wellFormed = message.length() >= 5 && message.getByte(0) == 0
        && message.getUnsignedInt(1) == message.length() - 5;
    var response = request.response().putHeader(HttpHeaders.CONTENT_TYPE, GRPC);
    if (!wellFormed) {
      BAD.increment();
      response.putTrailer(GRPC_STATUS, INTERNAL)
          .putTrailer(GRPC_MESSAGE, "expected one uncompressed length-prefixed message")
          .end();
      return;
    }
    GRPC_ANSWERS.increment();
    // write, then end: no content-length, as gRPC servers answer (end(message) would add one).
    response.write(message);
    response.putTrailer(GRPC_STATUS, OK).end();
  }
}

package io.sluice.dataplane.support;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A replica that speaks HTTP/2 in clear text (and HTTP/1.1), for tests of the node's h2c upstream: run as a process,
 * listening on {@code $PORT}. {@code /echo} answers with what it got and over which protocol, {@code /sleep?ms=N}
 * answers after N ms, {@code /trailers} ends its answer with HTTP trailers, {@code /stats} tells the most requests it
 * had in flight at once and on how many connections.
 */
public final class H2cEchoServer {

  private H2cEchoServer() {}

  public static void main(String[] args) {
    int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8000"));
    String replica = System.getenv().getOrDefault("SLUICE_REPLICA", "local");
    Vertx vertx = Vertx.vertx();
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger maxInFlight = new AtomicInteger();
    AtomicInteger connections = new AtomicInteger();
    vertx.createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(true)
            .setInitialSettings(new io.vertx.core.http.Http2Settings().setMaxConcurrentStreams(1000)))
        .connectionHandler(connection -> connections.incrementAndGet())
        .requestHandler(request -> request.body().onSuccess(body -> {
          String path = request.path();
          switch (path) {
            case "/echo" -> request.response().putHeader("content-type", "application/json").end(
                describe(request, replica).put("body", body.toString()).encode());
            case "/sleep" -> {
              maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
              long ms = Long.parseLong(request.getParam("ms", "100"));
              vertx.setTimer(ms, t -> {
                inFlight.decrementAndGet();
                request.response().end(new JsonObject().put("slept_ms", ms).put("replica", replica).encode());
              });
            }
            case "/trailers" -> {
              request.response().setChunked(true).write("part one;");
              request.response().putTrailer("x-trailer", "yes").end("part two");
            }
            case "/stats" -> request.response().end(new JsonObject().put("max_in_flight", maxInFlight.get())
                .put("connections", connections.get()).put("replica", replica).encode());
            default -> request.response().setStatusCode(404).end("{\"error\": \"no route\"}");
          }
        }))
        .listen(port, "127.0.0.1")
        .onSuccess(server -> System.out.println("h2c echo server on " + server.actualPort()))
        .onFailure(failed -> {
          failed.printStackTrace();
          System.exit(1);
        });
  }

  private static JsonObject describe(HttpServerRequest request, String replica) {
    JsonObject headers = new JsonObject();
    request.headers().forEach(header -> headers.put(header.getKey().toLowerCase(), header.getValue()));
    return new JsonObject().put("version", request.version().name()).put("method", request.method().name())
        .put("path", request.path()).put("query", request.query()).put("headers", headers)
        .put("replica", replica);
  }
}

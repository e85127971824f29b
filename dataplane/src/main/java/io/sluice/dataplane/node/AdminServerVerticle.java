package io.sluice.dataplane.node;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.util.function.Function;

/** The admin API's server, on its own port; loopback unless the operator says otherwise. */
final class AdminServerVerticle extends VerticleBase {

  private final Function<io.vertx.core.Vertx, Router> routes;
  private final String host;
  private final int port;
  private HttpServer server;

  AdminServerVerticle(Function<io.vertx.core.Vertx, Router> routes, String host, int port) {
    this.routes = routes;
    this.host = host;
    this.port = port;
  }

  @Override
  public Future<?> start() {
    server = vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port))
        .requestHandler(routes.apply(vertx));
    return server.listen();
  }

  int actualPort() {
    return server.actualPort();
  }
}

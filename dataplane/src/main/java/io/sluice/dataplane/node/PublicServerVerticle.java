package io.sluice.dataplane.node;

import io.sluice.dataplane.proxy.ProxyHandler;
import io.sluice.dataplane.routing.AppDirectory;
import io.sluice.dataplane.routing.NodeDrain;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.PoolOptions;

/**
 * One instance per event loop: a public HTTP server and a pooled keep-alive client to the replicas, both on this
 * verticle's loop, so a request and its upstream call never cross threads.
 */
final class PublicServerVerticle extends VerticleBase {

  private final AppDirectory directory;
  private final NodeDrain drain;
  private final String host;
  private final int port;

  PublicServerVerticle(AppDirectory directory, NodeDrain drain, String host, int port) {
    this.directory = directory;
    this.drain = drain;
    this.host = host;
    this.port = port;
  }

  @Override
  public Future<?> start() {
    var client = vertx.createHttpClient(
        new HttpClientOptions().setKeepAlive(true).setPipelining(false).setConnectTimeout(5_000),
        new PoolOptions().setHttp1MaxSize(512).setMaxWaitQueueSize(10_000));
    return vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port))
        .requestHandler(new ProxyHandler(directory, drain, client))
        .listen();
  }
}

package io.sluice.dataplane.node;

import io.sluice.dataplane.proxy.ProxyHandler;
import io.sluice.dataplane.routing.AppDirectory;
import io.sluice.dataplane.routing.AppRoute;
import io.sluice.dataplane.routing.NodeDrain;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.PoolOptions;

/**
 * One instance per event loop: a public HTTP server and a pooled keep-alive client to the replicas, both on this
 * verticle's loop, so a request and its upstream call never cross threads. Every second it closes this loop's metric
 * bucket of every app and hands it to the autoscaler.
 */
final class PublicServerVerticle extends VerticleBase {

  private final AppDirectory directory;
  private final NodeDrain drain;
  private final NodeOptions options;
  private final int loop;

  PublicServerVerticle(AppDirectory directory, NodeDrain drain, NodeOptions options, int loop) {
    this.directory = directory;
    this.drain = drain;
    this.options = options;
    this.loop = loop;
  }

  @Override
  public Future<?> start() {
    var client = vertx.createHttpClient(
        new HttpClientOptions().setKeepAlive(true).setPipelining(false).setConnectTimeout(5_000),
        new PoolOptions().setHttp1MaxSize(512).setMaxWaitQueueSize(10_000));
    vertx.setPeriodic(1000 - System.currentTimeMillis() % 1000, 1000, t -> closeBuckets());
    return vertx.createHttpServer(new HttpServerOptions().setHost(options.publicHost()).setPort(
            options.publicPort()))
        .requestHandler(new ProxyHandler(vertx, directory, drain, client, loop, options.holdTimeout().toMillis()))
        .listen();
  }

  /** Closes the second that just ended for every app, on this loop's own accumulators. */
  private void closeBuckets() {
    long now = System.nanoTime();
    long second = System.currentTimeMillis() / 1000 - 1;
    for (AppRoute route : directory.all()) {
      route.publish(route.meter(loop).close(second, now));
    }
  }
}

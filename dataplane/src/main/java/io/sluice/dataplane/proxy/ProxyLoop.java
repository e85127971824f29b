package io.sluice.dataplane.proxy;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.autoscaler.metrics.ConcurrencyAccumulator;
import io.sluice.dataplane.routing.AppDirectory;
import io.sluice.dataplane.routing.AppRoute;
import io.sluice.dataplane.routing.NodeDrain;
import java.util.concurrent.TimeUnit;

/**
 * What one event loop of the public server owns: its index (which selects the apps' meters it may touch), its pool of
 * replica connections, and the once-a-second closing of its metric buckets for the autoscaler.
 */
final class ProxyLoop {

  private final int index;
  private final EventLoop eventLoop;
  private final UpstreamPool pool;
  private final AppDirectory directory;
  private final NodeDrain drain;
  private final long holdTimeoutMillis;
  private ScheduledFuture<?> bucketCloser;

  ProxyLoop(int index, EventLoop eventLoop, UpstreamPool pool, AppDirectory directory, NodeDrain drain,
      long holdTimeoutMillis) {
    this.index = index;
    this.eventLoop = eventLoop;
    this.pool = pool;
    this.directory = directory;
    this.drain = drain;
    this.holdTimeoutMillis = holdTimeoutMillis;
  }

  EventLoop eventLoop() {
    return eventLoop;
  }

  UpstreamPool pool() {
    return pool;
  }

  AppDirectory directory() {
    return directory;
  }

  NodeDrain drain() {
    return drain;
  }

  long holdTimeoutMillis() {
    return holdTimeoutMillis;
  }

  ConcurrencyAccumulator meter(AppRoute route) {
    return route.meter(index);
  }

  void startClosingBuckets() {
    long delay = 1000 - System.currentTimeMillis() % 1000;
    bucketCloser = eventLoop.scheduleAtFixedRate(this::closeBuckets, delay, 1000, TimeUnit.MILLISECONDS);
  }

  void stopClosingBuckets() {
    if (bucketCloser != null) {
      bucketCloser.cancel(false);
    }
  }

  /** Closes the second that just ended for every app, on this loop's own accumulators. */
  private void closeBuckets() {
    long now = System.nanoTime();
    long second = System.currentTimeMillis() / 1000 - 1;
    for (AppRoute route : directory.all()) {
      route.publish(route.meter(index).close(second, now));
    }
  }
}

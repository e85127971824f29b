package io.sluice.dataplane.proxy;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.autoscaler.metrics.ConcurrencyAccumulator;
import io.sluice.config.ClientLimits;
import io.sluice.dataplane.auth.Authenticator;
import io.sluice.dataplane.auth.TokenCache;
import io.sluice.dataplane.routing.AppDirectory;
import io.sluice.dataplane.routing.AppRoute;
import io.sluice.dataplane.records.NodeRecords;
import io.sluice.dataplane.routing.NodeDrain;
import io.sluice.dataplane.runs.AsyncRuns;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What one event loop of the public server owns: its index (which selects the apps' meters it may touch), its pool of
 * replica connections, its cache of verified tokens, its client connections, the once-a-second closing of its metric
 * buckets for the autoscaler, and the sweep that ends client connections past their timeouts.
 *
 * <p>Client timeouts are checked by one periodic sweep per loop, not by a timer per connection or request: a request
 * then costs no timer at all, and the sweep's clock reading ({@link #now()}) is what connections stamp their activity
 * with, so that reading the clock is not a cost per read either. A timeout fires between one and one-and-a-bit of its
 * length after the last activity.
 */
final class ProxyLoop {

  /** What the sweep checks: a client connection or stream, an HTTP/2 connection, or a WebSocket while open. */
  interface Swept {
    void checkTimeouts(long now);
  }

  private final int index;
  private final EventLoop eventLoop;
  private final UpstreamPool pool;
  private final AppDirectory directory;
  private final NodeDrain drain;
  private final Authenticator authenticator;
  private final TokenCache tokens = new TokenCache();
  private final ClientLimits limits;
  private final long holdTimeoutMillis;
  private final AsyncRuns runs;
  private final NodeRecords.Recorder recorder;
  private final NodeRecords records;
  private final String node;
  private final Set<Swept> connections = new HashSet<>();
  private final long sweepMillis;
  private long now = System.nanoTime();
  private ScheduledFuture<?> bucketCloser;
  private ScheduledFuture<?> sweeper;

  ProxyLoop(int index, EventLoop eventLoop, UpstreamPool pool, AppDirectory directory, NodeDrain drain,
      Authenticator authenticator, ClientLimits limits, long holdTimeoutMillis, AsyncRuns runs,
      NodeRecords records) {
    this.index = index;
    this.eventLoop = eventLoop;
    this.pool = pool;
    this.directory = directory;
    this.drain = drain;
    this.authenticator = authenticator;
    this.limits = limits;
    this.holdTimeoutMillis = holdTimeoutMillis;
    this.runs = runs;
    this.recorder = records.recorder(eventLoop);
    this.records = records;
    this.node = records.node();
    this.sweepMillis = Math.max(5, Math.min(250, limits.shortestTimeoutMillis() / 5));
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

  ClientLimits limits() {
    return limits;
  }

  long holdTimeoutMillis() {
    return holdTimeoutMillis;
  }

  /** Where this loop keeps the records of the requests it served. */
  NodeRecords.Recorder recorder() {
    return recorder;
  }

  /** A project's secret values, redacted from captured payloads (read only for apps that capture them). */
  java.util.Collection<String> secretValues(String project) {
    return records.secretValues(project);
  }

  /** This node's id, as request records name it. */
  String node() {
    return node;
  }

  /** The app a replica token names (a call from one app to another), after {@link #projectOf} accepted it. */
  String callerOf(String authorization) {
    return authenticator.callerOf(authorization, tokens, now);
  }

  /** The node's asynchronous runs; null where a node has none (some tests). */
  AsyncRuns runs() {
    return runs;
  }

  ConcurrencyAccumulator meter(AppRoute route) {
    return route.meter(index);
  }

  /** The project an {@code Authorization} header opens, or null. */
  String projectOf(String authorization) {
    return authenticator.projectOf(authorization, tokens, now);
  }

  /** How often the sweep runs: how far {@link #now()} may lag. */
  long sweepNanos() {
    return TimeUnit.MILLISECONDS.toNanos(sweepMillis);
  }

  /** The loop's clock as of its last sweep: coarse, and free to read. */
  long now() {
    return now;
  }

  void opened(Swept connection) {
    connections.add(connection);
  }

  void closed(Swept connection) {
    connections.remove(connection);
  }

  void startTimers() {
    long delay = 1000 - System.currentTimeMillis() % 1000;
    bucketCloser = eventLoop.scheduleAtFixedRate(this::closeBuckets, delay, 1000, TimeUnit.MILLISECONDS);
    sweeper = eventLoop.scheduleAtFixedRate(this::sweep, sweepMillis, sweepMillis, TimeUnit.MILLISECONDS);
  }

  void stopTimers() {
    if (bucketCloser != null) {
      bucketCloser.cancel(false);
    }
    if (sweeper != null) {
      sweeper.cancel(false);
    }
  }

  private void sweep() {
    now = System.nanoTime();
    if (connections.isEmpty()) {
      return;
    }
    // Copied: a connection that times out leaves the set while the sweep walks it.
    for (Swept connection : new ArrayList<>(connections)) {
      connection.checkTimeouts(now);
    }
  }

  /** Closes the second that just ended for every app, on this loop's own accumulators. */
  private void closeBuckets() {
    long nanos = System.nanoTime();
    long second = System.currentTimeMillis() / 1000 - 1;
    for (AppRoute route : directory.all()) {
      route.publish(route.meter(index).close(second, nanos));
    }
  }
}

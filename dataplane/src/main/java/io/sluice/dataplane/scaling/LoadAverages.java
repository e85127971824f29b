package io.sluice.dataplane.scaling;

import io.sluice.autoscaler.metrics.MetricBucket;
import io.sluice.autoscaler.metrics.MetricWindow;
import io.sluice.cluster.load.FleetLoad.NodeLoad;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.OptionalDouble;

/**
 * An app's concurrency and request rate over its stable and panic windows, from the buckets one or more nodes
 * published, merged second by second as the decider merges them.
 *
 * <p>Nodes publish closed seconds, each on its own 1-second timer, so at any moment some have published a second that
 * others have not yet. Averaging up to the wall clock would count the newest second with only some nodes' share of it,
 * and leave a panic window as short as one second with no bucket at all. So the windows end at the merge horizon: the
 * newest second every node with current load has published. A node counts for the horizon while its newest bucket is
 * at most {@link #QUIET_SECONDS} older than its publication (a node whose load has stopped publishes once more, with
 * old buckets, and must not hold the horizon back) and its publication is at most {@link #STALE_SECONDS} old.
 */
record LoadAverages(OptionalDouble stableConcurrency, OptionalDouble panicConcurrency, OptionalDouble stableRate,
    OptionalDouble panicRate) {

  static final long QUIET_SECONDS = 2;
  static final long STALE_SECONDS = 3;

  static LoadAverages of(Collection<NodeLoad> loads, Duration stableWindow, Duration panicWindow, Instant now) {
    long nowSecond = now.getEpochSecond();
    long horizon = Long.MAX_VALUE;
    for (NodeLoad load : loads) {
      if (load.buckets().isEmpty()) {
        continue;
      }
      long newest = load.buckets().get(load.buckets().size() - 1).epochSecond();
      long published = Math.floorDiv(load.at(), 1000);
      if (published - newest <= QUIET_SECONDS && nowSecond - published <= STALE_SECONDS) {
        horizon = Math.min(horizon, newest);
      }
    }
    // A window "at" a second ends with that second's bucket (MetricWindow's, and Knative's, convention).
    Instant asOf = horizon == Long.MAX_VALUE ? now : min(now, Instant.ofEpochSecond(horizon));
    long last = horizon == Long.MAX_VALUE ? Long.MAX_VALUE : horizon;
    MetricWindow window = new MetricWindow(stableWindow);
    // Nodes publish an app only while it has load there, so a second nobody published was a second of no load. A zero
    // two seconds back (every node has published that second by now) says so, as the event loops' own zero buckets do.
    window.add(new MetricBucket(Math.min(nowSecond - 2, last), 0, 0));
    for (NodeLoad load : loads) {
      for (MetricBucket bucket : load.buckets()) {
        if (bucket.epochSecond() <= last) {
          window.add(bucket);
        }
      }
    }
    return new LoadAverages(window.averageConcurrency(asOf, stableWindow),
        window.averageConcurrency(asOf, panicWindow), window.averageRate(asOf, stableWindow),
        window.averageRate(asOf, panicWindow));
  }

  private static Instant min(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  JsonObject json() {
    return new JsonObject()
        .put("concurrency", new JsonObject().put("stable", orNull(stableConcurrency))
            .put("panic", orNull(panicConcurrency)))
        .put("requests_per_second", new JsonObject().put("stable", orNull(stableRate)).put("panic", orNull(panicRate)));
  }

  private static Double orNull(OptionalDouble value) {
    return value.isPresent() ? value.getAsDouble() : null;
  }
}

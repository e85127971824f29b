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
 */
record LoadAverages(OptionalDouble stableConcurrency, OptionalDouble panicConcurrency, OptionalDouble stableRate,
    OptionalDouble panicRate) {

  static LoadAverages of(Collection<NodeLoad> loads, Duration stableWindow, Duration panicWindow, Instant now) {
    MetricWindow window = new MetricWindow(stableWindow);
    // Nodes publish an app only while it has load there, so a second nobody published was a second of no load. A zero
    // two seconds back (every node has published that second by now) says so, as the event loops' own zero buckets do.
    window.add(new MetricBucket(now.getEpochSecond() - 2, 0, 0));
    for (NodeLoad load : loads) {
      load.buckets().forEach(window::add);
    }
    return new LoadAverages(window.averageConcurrency(now, stableWindow), window.averageConcurrency(now, panicWindow),
        window.averageRate(now, stableWindow), window.averageRate(now, panicWindow));
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

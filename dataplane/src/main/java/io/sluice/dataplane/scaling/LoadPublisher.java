package io.sluice.dataplane.scaling;

import io.sluice.autoscaler.decision.DeciderSpec;
import io.sluice.autoscaler.metrics.MetricBucket;
import io.sluice.cluster.load.FleetLoad;
import io.sluice.cluster.load.FleetLoad.NodeLoad;
import io.sluice.config.AppId;
import io.sluice.dataplane.apps.DeployedApp;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * This node's share of the fleet's metrics: on every tick it takes the buckets the event loops closed for each app,
 * keeps the app's stable window of them, and publishes them with the requests it holds and has in flight. An app with
 * no load here is published once more when it goes quiet, then not until it has load again. Runs on the scaling
 * loop's context only.
 */
final class LoadPublisher {

  private final FleetLoad load;
  private final Map<AppId, ArrayDeque<MetricBucket>> recent = new HashMap<>();
  private final Set<AppId> active = new HashSet<>();

  LoadPublisher(FleetLoad load) {
    this.load = load;
  }

  void publish(DeployedApp app, long nowMillis) {
    AppId id = app.spec().id();
    ArrayDeque<MetricBucket> buckets = recent.computeIfAbsent(id, key -> new ArrayDeque<>());
    app.route().drainBuckets(buckets::addLast);
    // The decider's windows end at the merge horizon, up to a few seconds back (LoadAverages): the seconds kept reach
    // that far past the window, or the oldest second of a merged window would miss this node's share.
    long oldest = nowMillis / 1000 - windowOf(app).toSeconds() - LoadAverages.STALE_SECONDS;
    while (!buckets.isEmpty() && buckets.peekFirst().epochSecond() < oldest) {
      buckets.removeFirst();
    }
    NodeLoad now = new NodeLoad(load.self(), id, nowMillis, List.copyOf(buckets), app.route().heldCount(),
        app.route().inFlightByReplica());
    if (now.active()) {
      active.add(id);
      load.publish(now);
    } else if (active.remove(id)) {
      load.publish(now);
    }
  }

  void forget(AppId id) {
    recent.remove(id);
    active.remove(id);
  }

  private static Duration windowOf(DeployedApp app) {
    return DeciderSpec.from(app.spec().scaling(), Duration.ZERO).stableWindow();
  }
}

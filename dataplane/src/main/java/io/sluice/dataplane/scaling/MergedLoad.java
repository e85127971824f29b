package io.sluice.dataplane.scaling;

import io.sluice.config.AppId;
import io.sluice.config.ScalingMetric;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * An app's load over the whole fleet, as this node knows it from the loads every node published (at most a
 * publication tick old, never a round trip): what an outside autoscaler scales on.
 *
 * @param metric what the app's own decider scales on
 * @param targetPerReplica what one replica should carry in that metric's unit, utilization applied; the decider's
 *     target
 * @param stableConcurrency requests in flight (held ones included), time-weighted over the stable window; empty
 *     without data
 * @param panicConcurrency the same over the short (panic) window
 * @param stableRate requests started per second over the stable window
 * @param panicRate the same over the short (panic) window
 * @param inFlight requests on the app's replicas now, summed over the nodes' last publications
 * @param held requests waiting in the nodes' hold queues, likewise
 */
public record MergedLoad(AppId app, ScalingMetric metric, double targetPerReplica, OptionalDouble stableConcurrency,
    OptionalDouble panicConcurrency, OptionalDouble stableRate, OptionalDouble panicRate, int inFlight, int held) {

  public MergedLoad {
    Objects.requireNonNull(app, "app");
    Objects.requireNonNull(metric, "metric");
    Objects.requireNonNull(stableConcurrency, "stableConcurrency");
    Objects.requireNonNull(panicConcurrency, "panicConcurrency");
    Objects.requireNonNull(stableRate, "stableRate");
    Objects.requireNonNull(panicRate, "panicRate");
  }

  /**
   * Whether the app has demand: requests in flight or held anywhere in the fleet, or any request started within the
   * stable window. An app that is not active may go to zero.
   */
  public boolean active() {
    return inFlight > 0 || held > 0 || stableRate.orElse(0) > 0;
  }
}

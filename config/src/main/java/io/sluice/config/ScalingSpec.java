package io.sluice.config;

import java.time.Duration;
import java.util.Objects;

/**
 * An app's scaling knobs, in one shape for both config formats.
 *
 * @param minReplicas replicas kept running even when idle; 0 allows scale to zero
 * @param maxReplicas the most replicas the app may have
 * @param replicaConcurrency hard limit of requests in flight on one replica (Cerebrium {@code replica_concurrency},
 *     Truss {@code runtime.predict_concurrency}); the node never sends a replica more
 * @param metric what is compared against the target
 * @param target per-replica target in the metric's unit: requests in flight, or requests per second
 * @param targetUtilization the share of {@code target} to aim at, in (0, 1]
 * @param buffer extra warm replicas on top of what the load needs (Cerebrium {@code scaling_buffer})
 * @param stableWindow the window over which the metric is averaged
 * @param scaleDownDelay how long the load must stay low before replicas are removed (Cerebrium {@code cooldown},
 *     Truss {@code scale_down_delay})
 * @param responseGracePeriod how long a replica being removed may take to finish its in-flight requests
 */
public record ScalingSpec(
    int minReplicas,
    int maxReplicas,
    int replicaConcurrency,
    ScalingMetric metric,
    double target,
    double targetUtilization,
    int buffer,
    Duration stableWindow,
    Duration scaleDownDelay,
    Duration responseGracePeriod) {

  public ScalingSpec {
    Objects.requireNonNull(metric, "metric");
    Objects.requireNonNull(stableWindow, "stableWindow");
    Objects.requireNonNull(scaleDownDelay, "scaleDownDelay");
    Objects.requireNonNull(responseGracePeriod, "responseGracePeriod");
    require(minReplicas >= 0, "minReplicas", minReplicas, ">= 0");
    require(maxReplicas >= 1, "maxReplicas", maxReplicas, ">= 1");
    require(minReplicas <= maxReplicas, "minReplicas", minReplicas, "<= maxReplicas (" + maxReplicas + ")");
    require(replicaConcurrency >= 1, "replicaConcurrency", replicaConcurrency, ">= 1");
    require(target > 0, "target", target, "> 0");
    require(targetUtilization > 0 && targetUtilization <= 1, "targetUtilization", targetUtilization, "> 0 and <= 1");
    require(buffer >= 0, "buffer", buffer, ">= 0");
    require(!stableWindow.isNegative() && !stableWindow.isZero(), "stableWindow", stableWindow, "> 0");
    require(!scaleDownDelay.isNegative(), "scaleDownDelay", scaleDownDelay, ">= 0");
    require(!responseGracePeriod.isNegative(), "responseGracePeriod", responseGracePeriod, ">= 0");
  }

  private static void require(boolean ok, String key, Object value, String expected) {
    if (!ok) {
      throw new IllegalArgumentException(key + ": " + value + " (expected: " + expected + ")");
    }
  }
}

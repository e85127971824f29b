package io.sluice.autoscaler.decision;

import io.sluice.config.ScalingMetric;
import io.sluice.config.ScalingSpec;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything a {@link ScalingPolicy} needs to know about one app: Knative's knobs (the names of its
 * {@code DeciderSpec} and {@code config-autoscaler}) and Sluice's own.
 *
 * @param minReplicas replicas kept even when idle; 0 allows scale to zero
 * @param maxReplicas the most replicas the app may have ({@link Integer#MAX_VALUE}: no limit, Knative's 0)
 * @param metric what the stable and panic values measure
 * @param targetPerReplica what one replica should carry, in the metric's unit, already multiplied by the target
 *     utilization (100 × 0.7 = 70); Knative's {@code TargetValue}
 * @param totalPerReplica what one replica can carry, before utilization (100); Knative's {@code TotalValue}, used for
 *     the excess burst capacity
 * @param maxScaleUpRate at most this many times the ready replicas in one decision (&gt; 1)
 * @param maxScaleDownRate at least the ready replicas divided by this in one decision (&gt; 1)
 * @param panicWindowPercentage the panic window as a percentage of the stable window, in [1, 100]
 * @param panicThresholdPercentage panic when the panic window needs this percentage of the ready replicas (&gt; 100)
 * @param stableWindow the window the stable value is averaged over; whole seconds, at least 1 s
 * @param scaleDownDelay how long a higher count is kept after the load that wanted it is gone; whole seconds, 0 for none
 * @param scaleToZeroGracePeriod how long the hold queue must have been in the request path before the last replica
 *     goes (Knative); how long after the last load the last replica may go (Sluice)
 * @param initialScale replicas a new app starts with, kept until it first has them ready
 * @param targetBurstCapacity the burst, in the metric's unit, the ready replicas should absorb beyond the current load
 *     before the hold queue stays in the path: 0 puts the queue in the path only at zero, -1 keeps it there always
 * @param buffer warm replicas on top of what the load needs, while there is load (Cerebrium {@code scaling_buffer})
 * @param replicaStartupTime how long a new replica takes to become ready, as estimated; the Sluice policy scales up
 *     ahead by the demand expected meanwhile
 * @param hardLimit requests one replica is ever sent at once (Cerebrium {@code replica_concurrency}); 0 for no limit
 */
public record DeciderSpec(
    int minReplicas,
    int maxReplicas,
    ScalingMetric metric,
    double targetPerReplica,
    double totalPerReplica,
    double maxScaleUpRate,
    double maxScaleDownRate,
    double panicWindowPercentage,
    double panicThresholdPercentage,
    Duration stableWindow,
    Duration scaleDownDelay,
    Duration scaleToZeroGracePeriod,
    int initialScale,
    double targetBurstCapacity,
    int buffer,
    Duration replicaStartupTime,
    int hardLimit) {

  /** Knative's {@code container-concurrency-target-default}. */
  public static final double KNATIVE_TARGET = 100;
  /** Knative's {@code container-concurrency-target-percentage}, as a fraction. */
  public static final double KNATIVE_TARGET_UTILIZATION = 0.7;
  /** Knative's {@code autoscaling.TargetMin}: no target is smaller. */
  static final double TARGET_MIN = 0.01;

  private static final Duration SECOND = Duration.ofSeconds(1);

  public DeciderSpec {
    Objects.requireNonNull(metric, "metric");
    Objects.requireNonNull(stableWindow, "stableWindow");
    Objects.requireNonNull(scaleDownDelay, "scaleDownDelay");
    Objects.requireNonNull(scaleToZeroGracePeriod, "scaleToZeroGracePeriod");
    Objects.requireNonNull(replicaStartupTime, "replicaStartupTime");
    require(minReplicas >= 0, "minReplicas", minReplicas, ">= 0");
    require(maxReplicas >= 1, "maxReplicas", maxReplicas, ">= 1");
    require(minReplicas <= maxReplicas, "minReplicas", minReplicas, "<= maxReplicas (" + maxReplicas + ")");
    require(finite(targetPerReplica) && targetPerReplica >= TARGET_MIN, "targetPerReplica", targetPerReplica,
        ">= " + TARGET_MIN);
    require(finite(totalPerReplica) && totalPerReplica >= targetPerReplica, "totalPerReplica", totalPerReplica,
        ">= targetPerReplica (" + targetPerReplica + ")");
    require(finite(maxScaleUpRate) && maxScaleUpRate > 1, "maxScaleUpRate", maxScaleUpRate, "> 1");
    require(finite(maxScaleDownRate) && maxScaleDownRate > 1, "maxScaleDownRate", maxScaleDownRate, "> 1");
    require(panicWindowPercentage >= 1 && panicWindowPercentage <= 100, "panicWindowPercentage",
        panicWindowPercentage, ">= 1 and <= 100");
    require(finite(panicThresholdPercentage) && panicThresholdPercentage > 100, "panicThresholdPercentage",
        panicThresholdPercentage, "> 100");
    require(stableWindow.compareTo(SECOND) >= 0 && wholeSeconds(stableWindow), "stableWindow", stableWindow,
        ">= 1s, in whole seconds");
    require(!scaleDownDelay.isNegative() && wholeSeconds(scaleDownDelay), "scaleDownDelay", scaleDownDelay,
        ">= 0, in whole seconds");
    require(!scaleToZeroGracePeriod.isNegative(), "scaleToZeroGracePeriod", scaleToZeroGracePeriod, ">= 0");
    require(initialScale >= 0, "initialScale", initialScale, ">= 0");
    require(initialScale <= maxReplicas, "initialScale", initialScale, "<= maxReplicas (" + maxReplicas + ")");
    require(finite(targetBurstCapacity) && (targetBurstCapacity >= 0 || targetBurstCapacity == -1),
        "targetBurstCapacity", targetBurstCapacity, ">= 0, or -1 to keep the hold queue in the path");
    require(buffer >= 0, "buffer", buffer, ">= 0");
    require(!replicaStartupTime.isNegative(), "replicaStartupTime", replicaStartupTime, ">= 0");
    require(hardLimit >= 0, "hardLimit", hardLimit, ">= 0 (0: no limit)");
  }

  /**
   * Knative Serving's defaults ({@code config-autoscaler}): concurrency target 100 at 70 % utilization, stable window
   * 60 s, panic window 10 % of it, panic at 200 %, scale up at most ×1000 and down at most ÷2 per decision, no
   * scale-down delay, 30 s scale-to-zero grace, initial scale 1, target burst capacity 211, no min, no max; and none
   * of Sluice's additions (no buffer, no start-up estimate, no hard limit).
   */
  public static DeciderSpec knativeDefaults() {
    return new DeciderSpec(0, Integer.MAX_VALUE, ScalingMetric.CONCURRENCY_UTILIZATION,
        KNATIVE_TARGET * KNATIVE_TARGET_UTILIZATION, KNATIVE_TARGET, 1000, 2, 10, 200, Duration.ofSeconds(60),
        Duration.ZERO, Duration.ofSeconds(30), 1, 211, 0, Duration.ZERO, 0);
  }

  /**
   * An app's knobs from its config, Knative's defaults for the rest. As in Knative's {@code ResolveMetricTarget}, a
   * concurrency target above the hard limit is lowered to it (the node never sends a replica more), and the target
   * per replica is that times the utilization, never below {@value #TARGET_MIN}. Windows and delays with a fraction of
   * a second are rounded up to whole seconds (the buckets are seconds).
   *
   * @param replicaStartupTime how long a replica of this app takes to become ready (an estimate, e.g. measured)
   */
  public static DeciderSpec from(ScalingSpec scaling, Duration replicaStartupTime) {
    Objects.requireNonNull(scaling, "scaling");
    Objects.requireNonNull(replicaStartupTime, "replicaStartupTime");
    DeciderSpec knative = knativeDefaults();
    double total = scaling.metric() == ScalingMetric.CONCURRENCY_UTILIZATION
        ? Math.min(scaling.target(), scaling.replicaConcurrency())
        : scaling.target();
    double target = Math.max(TARGET_MIN, total * scaling.targetUtilization());
    return new DeciderSpec(scaling.minReplicas(), scaling.maxReplicas(), scaling.metric(), target,
        Math.max(total, target), knative.maxScaleUpRate, knative.maxScaleDownRate, knative.panicWindowPercentage,
        knative.panicThresholdPercentage, wholeSecondsUp(scaling.stableWindow()), wholeSecondsUp(scaling.scaleDownDelay()),
        knative.scaleToZeroGracePeriod, Math.min(knative.initialScale, scaling.maxReplicas()),
        knative.targetBurstCapacity, scaling.buffer(), replicaStartupTime, scaling.replicaConcurrency());
  }

  /** The panic window: {@link #panicWindowPercentage} of the stable window, never under one second (one bucket). */
  public Duration panicWindow() {
    long nanos = (long) (stableWindow.toNanos() * panicWindowPercentage / 100);
    return Duration.ofNanos(Math.max(SECOND.toNanos(), nanos));
  }

  /** {@link #panicThresholdPercentage} as a ratio of needed to ready replicas (200 % → 2.0). */
  public double panicThreshold() {
    return panicThresholdPercentage / 100;
  }

  private static Duration wholeSecondsUp(Duration duration) {
    return wholeSeconds(duration) ? duration : Duration.ofSeconds(duration.getSeconds() + 1);
  }

  private static boolean wholeSeconds(Duration duration) {
    return duration.getNano() == 0;
  }

  private static boolean finite(double value) {
    return Double.isFinite(value);
  }

  private static void require(boolean ok, String key, Object value, String expected) {
    if (!ok) {
      throw new IllegalArgumentException(key + ": " + value + " (expected: " + expected + ")");
    }
  }
}

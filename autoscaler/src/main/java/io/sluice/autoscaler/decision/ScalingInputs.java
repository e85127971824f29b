package io.sluice.autoscaler.decision;

import io.sluice.autoscaler.metrics.MetricWindow;
import io.sluice.config.ScalingMetric;
import java.time.Instant;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * What one decision sees of one app.
 *
 * @param readyReplicas replicas passing their readiness probe (routable)
 * @param pendingReplicas replicas asked for and not ready yet (starting)
 * @param stableValue the metric averaged over the stable window, in the spec's metric (requests in flight, or
 *     requests per second), as {@link MetricWindow} gives it; empty when there is no data
 * @param panicValue the same over the panic window; empty when the panic window has no data
 * @param queueDepth requests held waiting for a replica, on all nodes, now (Knative does not see it)
 */
public record ScalingInputs(
    int readyReplicas, int pendingReplicas, OptionalDouble stableValue, OptionalDouble panicValue, int queueDepth) {

  public ScalingInputs {
    Objects.requireNonNull(stableValue, "stableValue");
    Objects.requireNonNull(panicValue, "panicValue");
    require(readyReplicas >= 0, "readyReplicas", readyReplicas, ">= 0");
    require(pendingReplicas >= 0, "pendingReplicas", pendingReplicas, ">= 0");
    require(queueDepth >= 0, "queueDepth", queueDepth, ">= 0");
    requireValue(stableValue, "stableValue");
    requireValue(panicValue, "panicValue");
  }

  /** Reads the stable and panic values of the spec's metric from {@code window} at {@code now}. */
  public static ScalingInputs measure(
      MetricWindow window, DeciderSpec spec, Instant now, int readyReplicas, int pendingReplicas, int queueDepth) {
    Objects.requireNonNull(window, "window");
    Objects.requireNonNull(spec, "spec");
    boolean rate = spec.metric() == ScalingMetric.REQUESTS_PER_SECOND;
    OptionalDouble stable = rate
        ? window.averageRate(now, spec.stableWindow())
        : window.averageConcurrency(now, spec.stableWindow());
    OptionalDouble panic = rate
        ? window.averageRate(now, spec.panicWindow())
        : window.averageConcurrency(now, spec.panicWindow());
    return new ScalingInputs(readyReplicas, pendingReplicas, stable, panic, queueDepth);
  }

  /** Ready and pending replicas: what the app has or will have without a new decision. */
  public int currentReplicas() {
    return readyReplicas + pendingReplicas;
  }

  private static void requireValue(OptionalDouble value, String key) {
    if (value.isPresent() && !(value.getAsDouble() >= 0 && Double.isFinite(value.getAsDouble()))) {
      throw new IllegalArgumentException(key + ": " + value.getAsDouble() + " (expected: finite and >= 0)");
    }
  }

  private static void require(boolean ok, String key, Object value, String expected) {
    if (!ok) {
      throw new IllegalArgumentException(key + ": " + value + " (expected: " + expected + ")");
    }
  }
}

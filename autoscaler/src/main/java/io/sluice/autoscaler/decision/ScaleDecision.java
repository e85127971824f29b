package io.sluice.autoscaler.decision;

import java.util.Objects;

/**
 * The outcome of one decision for one app.
 *
 * @param desiredReplicas how many replicas the app should have (ready and starting); when not {@code valid}, the
 *     count it has now
 * @param excessBurstCapacity what the ready replicas can absorb beyond the current load and the target burst
 *     capacity, in the metric's unit (Knative's {@code ExcessBurstCapacity}); negative when the hold queue must stay in
 *     the request path to absorb a burst, 0 when the target burst capacity is 0, -1 when it is -1
 * @param valid false when there was nothing to decide on (no data): keep the current count
 * @param panicking whether the policy is in its panic mode (the Knative policy only)
 * @param reason one sentence for a person reading the admin API, on what decided the count
 */
public record ScaleDecision(
    int desiredReplicas, int excessBurstCapacity, boolean valid, boolean panicking, String reason) {

  public ScaleDecision {
    Objects.requireNonNull(reason, "reason");
    if (desiredReplicas < 0) {
      throw new IllegalArgumentException("desiredReplicas: " + desiredReplicas + " (expected: >= 0)");
    }
  }

  /**
   * Whether the hold queue must stay in the request path: at zero, or when the ready replicas lack the burst capacity
   * asked for (Knative's proxy mode, with its activator).
   */
  public boolean holdQueueInPath() {
    return desiredReplicas == 0 || excessBurstCapacity < 0;
  }
}

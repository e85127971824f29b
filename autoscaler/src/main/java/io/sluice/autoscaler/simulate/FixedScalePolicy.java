package io.sluice.autoscaler.simulate;

import io.sluice.autoscaler.decision.DeciderState;
import io.sluice.autoscaler.decision.Decision;
import io.sluice.autoscaler.decision.ScaleDecision;
import io.sluice.autoscaler.decision.ScalingInputs;
import io.sluice.autoscaler.decision.ScalingPolicy;
import java.time.Instant;

/** A baseline that does not autoscale: the same count at every decision, whatever the load. */
final class FixedScalePolicy implements ScalingPolicy {

  private final String name;
  private final int replicas;

  FixedScalePolicy(String name, int replicas) {
    if (replicas < 0) {
      throw new IllegalArgumentException("replicas: " + replicas + " (expected: >= 0)");
    }
    this.name = name;
    this.replicas = replicas;
  }

  @Override
  public Decision decide(DeciderState state, ScalingInputs inputs, Instant now) {
    return new Decision(new ScaleDecision(replicas, 0, true, false, "fixed at " + replicas), state);
  }

  @Override
  public String name() {
    return name;
  }
}

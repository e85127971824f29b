package io.sluice.dataplane.scaling;

import java.time.Duration;
import java.util.Locale;

/**
 * How a node runs its autoscalers.
 *
 * @param policy {@code sluice} (the default) or {@code knative} (Knative's KPA, reproduced)
 * @param tick how often each app's decider runs (Knative: 2 s); a request held at zero triggers one at once
 * @param scaleToZeroGrace how long an idle app keeps its last replica before going to zero (Knative: 30 s)
 */
public record ScalingOptions(String policy, Duration tick, Duration scaleToZeroGrace) {

  public ScalingOptions {
    policy = policy.toLowerCase(Locale.ROOT);
    if (!policy.equals("sluice") && !policy.equals("knative")) {
      throw new IllegalArgumentException("policy: " + policy + " (expected: sluice or knative)");
    }
    if (tick.isNegative() || tick.isZero()) {
      throw new IllegalArgumentException("tick: " + tick + " (expected: > 0)");
    }
    if (scaleToZeroGrace.isNegative()) {
      throw new IllegalArgumentException("scaleToZeroGrace: " + scaleToZeroGrace + " (expected: >= 0)");
    }
  }

  public static ScalingOptions defaults() {
    return new ScalingOptions("sluice", Duration.ofSeconds(2), Duration.ofSeconds(30));
  }
}

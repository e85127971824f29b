package io.sluice.autoscaler.simulate;

import io.sluice.autoscaler.decision.DeciderSpec;
import io.sluice.autoscaler.decision.ScalingPolicy;
import io.sluice.config.ScalingSpec;
import java.util.Arrays;
import java.util.Locale;

/**
 * What decides the replica count in one run: one of the two real policies, or a baseline without autoscaling that
 * bounds what any policy can achieve (all the capacity all the time; or the least that still serves).
 */
public enum SimulatedPolicy {
  /** Knative Serving's KPA, as {@link ScalingPolicy#knative} reproduces it. */
  KNATIVE("knative", "Knative's KPA, reproduced by ScalingPolicy.knative"),
  /** Sluice's own policy, {@link ScalingPolicy#sluice}. */
  SLUICE("sluice", "Sluice's policy, ScalingPolicy.sluice"),
  /** No autoscaling: {@code max_replicas} from the start. */
  MAX("max", "no autoscaling: max_replicas from deploy on"),
  /** No autoscaling: {@code min_replicas}, or 1 when that is 0 (none would serve nothing). */
  MIN("min", "no autoscaling: max(min_replicas, 1) from deploy on");

  private final String cliName;
  private final String description;

  SimulatedPolicy(String cliName, String description) {
    this.cliName = cliName;
    this.description = description;
  }

  public String cliName() {
    return cliName;
  }

  public String description() {
    return description;
  }

  /** The policy deciding for an app with {@code spec}. */
  ScalingPolicy policyFor(DeciderSpec spec, ScalingSpec scaling) {
    return switch (this) {
      case KNATIVE -> ScalingPolicy.knative(spec);
      case SLUICE -> ScalingPolicy.sluice(spec);
      case MAX, MIN -> new FixedScalePolicy(cliName, floor(scaling));
    };
  }

  /** The count an app settles at once its load is gone. */
  int floor(ScalingSpec scaling) {
    return switch (this) {
      case KNATIVE, SLUICE -> scaling.minReplicas();
      case MAX -> scaling.maxReplicas();
      case MIN -> Math.max(1, scaling.minReplicas());
    };
  }

  public static SimulatedPolicy parse(String name) {
    String wanted = name.trim().toLowerCase(Locale.ROOT);
    for (SimulatedPolicy policy : values()) {
      if (policy.cliName.equals(wanted)) {
        return policy;
      }
    }
    throw new IllegalArgumentException("policy: " + name + " (expected: one of "
        + String.join(", ", Arrays.stream(values()).map(SimulatedPolicy::cliName).toList()) + ")");
  }
}

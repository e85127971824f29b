package io.sluice.autoscaler.capacity;

import io.sluice.config.AppId;
import io.sluice.config.AppSpec;
import java.time.Instant;
import java.util.Objects;

/**
 * How many replicas one app wants on this tick, as its decider said, and what each needs.
 *
 * @param wanted the decider's desired replica count, already within the app's min and max
 * @param minReplicas the app's {@code min_replicas}: served first when a pool is short
 * @param deployedAt when the app was deployed: earlier apps get their {@code min_replicas} first
 */
public record AppDemand(AppId app, ReplicaNeed need, int minReplicas, int wanted, Instant deployedAt) {

  public AppDemand {
    Objects.requireNonNull(app, "app");
    Objects.requireNonNull(need, "need");
    Objects.requireNonNull(deployedAt, "deployedAt");
    if (minReplicas < 0) {
      throw new IllegalArgumentException("minReplicas: " + minReplicas + " (expected: >= 0)");
    }
    if (wanted < minReplicas) {
      throw new IllegalArgumentException("wanted: " + wanted + " (expected: >= minReplicas = " + minReplicas + ")");
    }
  }

  public static AppDemand of(AppSpec spec, int wanted, Instant deployedAt) {
    Objects.requireNonNull(spec, "spec");
    return new AppDemand(spec.id(), ReplicaNeed.of(spec.hardware()), spec.scaling().minReplicas(), wanted,
        deployedAt);
  }
}

package io.sluice.autoscaler.capacity;

import io.sluice.config.AppId;
import java.util.Objects;

/**
 * Replicas an app wants that have no place yet, and why, in words for the admin API:
 * {@code waiting for a node in pool l4 (ready in 42 s)}, {@code pool l4 at max_nodes 4},
 * {@code no node pool has H100 GPUs; ...}.
 */
public record Pending(AppId app, int count, String reason) {

  public Pending {
    Objects.requireNonNull(app, "app");
    Objects.requireNonNull(reason, "reason");
    if (count < 1) {
      throw new IllegalArgumentException("count: " + count + " (expected: >= 1)");
    }
  }

  @Override
  public String toString() {
    return app + ": " + count + " pending, " + reason;
  }
}

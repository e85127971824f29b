package io.sluice.autoscaler.capacity;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A node of a pool: provisioning until {@code readyAt}, ready from then on.
 *
 * @param requestedAt when placement asked the pool for it
 * @param readyAt when it can run replicas: {@code requestedAt} plus the pool's provision time
 * @param idleSince the first tick that saw it ready and empty; empty while it holds replicas or is provisioning
 */
public record Node(NodeId id, Instant requestedAt, Instant readyAt, Optional<Instant> idleSince) {

  public Node {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(requestedAt, "requestedAt");
    Objects.requireNonNull(readyAt, "readyAt");
    Objects.requireNonNull(idleSince, "idleSince");
    if (readyAt.isBefore(requestedAt)) {
      throw new IllegalArgumentException("readyAt: " + readyAt + " (expected: >= requestedAt " + requestedAt + ")");
    }
  }

  public boolean isReady(Instant now) {
    return !readyAt.isAfter(now);
  }

  Node idle(Instant since) {
    return new Node(id, requestedAt, readyAt, Optional.of(since));
  }

  Node busy() {
    return idleSince.isEmpty() ? this : new Node(id, requestedAt, readyAt, Optional.empty());
  }
}

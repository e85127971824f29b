package io.sluice.autoscaler.replica;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What a provider knows about a replica at one moment.
 *
 * @param endpoint where it answers, once it has an address
 * @param restarts how many times it was started again after dying or failing its liveness probe
 * @param detail why it is in this state, in words for a person (exit code, probe result)
 * @param since when it entered this state
 */
public record ReplicaStatus(
    ReplicaId id,
    ReplicaState state,
    Optional<Endpoint> endpoint,
    int restarts,
    String detail,
    Instant since) {

  public ReplicaStatus {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(detail, "detail");
    Objects.requireNonNull(since, "since");
  }

  public ReplicaStatus with(ReplicaState newState, String newDetail, Instant now) {
    return new ReplicaStatus(id, newState, endpoint, restarts, newDetail, now);
  }
}

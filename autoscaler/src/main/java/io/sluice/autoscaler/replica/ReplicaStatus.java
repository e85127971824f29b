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
 * @param failure why its run ended, when it is {@link ReplicaState#RESTARTING} or {@link ReplicaState#FAILED} because
 *     of it (not for a stop that was asked for)
 */
public record ReplicaStatus(
    ReplicaId id,
    ReplicaState state,
    Optional<Endpoint> endpoint,
    int restarts,
    String detail,
    Instant since,
    Optional<ReplicaFailure> failure) {

  public ReplicaStatus {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(endpoint, "endpoint");
    Objects.requireNonNull(detail, "detail");
    Objects.requireNonNull(since, "since");
    Objects.requireNonNull(failure, "failure");
  }

  /** A status with no failure. */
  public ReplicaStatus(ReplicaId id, ReplicaState state, Optional<Endpoint> endpoint, int restarts, String detail,
      Instant since) {
    this(id, state, endpoint, restarts, detail, since, Optional.empty());
  }

  /** The replica in a new state for a reason other than a failure of its own (a stop, the registry's bookkeeping). */
  public ReplicaStatus with(ReplicaState newState, String newDetail, Instant now) {
    return new ReplicaStatus(id, newState, endpoint, restarts, newDetail, now);
  }
}

package io.sluice.dataplane.metrics;

import io.sluice.autoscaler.replica.ReplicaId;
import io.sluice.autoscaler.replica.ReplicaState;
import io.sluice.autoscaler.replica.ReplicaStatus;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Turns the statuses of the replicas this node runs, as its provider reports them, into their app's counts of starts,
 * starts that became ready, failures and replicas given up on.
 *
 * <p>A provider reports a start as {@code STARTING} after any other state (a second {@code STARTING} only adds the
 * process's address), a start that became ready as {@code READY} after {@code STARTING} ({@code READY} after
 * {@code NOT_READY} is a replica that was ready already), and a failure as {@code RESTARTING}, or {@code FAILED} for
 * the last one, with its {@link ReplicaStatus#failure()}. So each replica's previous state is all there is to keep,
 * until its terminal status.
 */
final class ReplicaStarts {

  private final Map<ReplicaId, ReplicaState> last = new ConcurrentHashMap<>();

  void observed(ReplicaStatus status, AppMeters meters) {
    ReplicaId id = status.id();
    ReplicaState state = status.state();
    ReplicaState before = state.terminal() ? last.remove(id) : last.put(id, state);
    switch (state) {
      case STARTING -> {
        if (before != ReplicaState.STARTING) {
          meters.replicaStarted();
        }
      }
      case READY -> {
        if (before == ReplicaState.STARTING) {
          meters.replicaBecameReady();
        }
      }
      case RESTARTING, FAILED -> {
        status.failure().ifPresent(meters::replicaFailed);
        if (state == ReplicaState.FAILED) {
          meters.replicaGivenUp();
        }
      }
      default -> { }
    }
  }
}

package io.sluice.autoscaler.replica;

import io.sluice.config.AppSpec;
import java.time.Duration;
import java.util.concurrent.CompletionStage;

/**
 * Starts and stops replicas and reports their readiness and death to the {@link ReplicaListener} it was made with.
 *
 * <p>A provider keeps a started replica alive by itself: it restarts it, with a back-off, when it dies or fails its
 * liveness probe, and reports {@link ReplicaState#FAILED} when it gives up; each of those ends of a run carries its
 * {@link ReplicaFailure}. Implementations: local processes (the embedded default) and Kubernetes.
 */
public interface ReplicaProvider {

  /** Starts a replica; progress arrives as statuses, starting with {@link ReplicaState#STARTING}. */
  void start(ReplicaId id, AppSpec app);

  /**
   * Stops a replica: it leaves the routable set at once, gets {@code grace} to exit after a polite signal, and is then
   * killed. Completes when it is gone.
   */
  CompletionStage<Void> stop(ReplicaId id, Duration grace);

  /** Stops every replica this provider started; completes when all are gone. */
  CompletionStage<Void> stopAll(Duration grace);
}

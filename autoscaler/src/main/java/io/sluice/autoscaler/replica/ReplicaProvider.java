package io.sluice.autoscaler.replica;

import io.sluice.config.AppId;
import io.sluice.config.AppSpec;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
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
   * Starts a replica of one deployed version of the app (what a provider that keeps objects per version needs);
   * by default the version is not needed.
   */
  default void start(ReplicaId id, AppSpec app, long version) {
    start(id, app);
  }

  /**
   * The app is gone from the fleet and its replicas are stopped: removes whatever else the provider keeps for it
   * (a cluster's Deployments and Secrets). Nothing by default.
   */
  default CompletionStage<Void> removeApp(AppId app) {
    return CompletableFuture.completedFuture(null);
  }

  /**
   * Whether the replicas this provider starts outlive the node and can be reached and managed from any node (a
   * cluster's pods), rather than living on this node only (local processes). Such replicas are all started by the
   * node that places replicas, which is then the only writer of their count.
   */
  default boolean sharedByTheFleet() {
    return false;
  }

  /**
   * Stops a replica: it leaves the routable set at once, gets {@code grace} to exit after a polite signal, and is then
   * killed. Completes when it is gone.
   */
  CompletionStage<Void> stop(ReplicaId id, Duration grace);

  /** Stops every replica this provider started; completes when all are gone. */
  CompletionStage<Void> stopAll(Duration grace);
}

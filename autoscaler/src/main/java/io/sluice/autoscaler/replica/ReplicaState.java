package io.sluice.autoscaler.replica;

/** Where a replica is in its life. Only {@link #READY} replicas get traffic. */
public enum ReplicaState {
  /** Started, not yet ready (the server is loading). */
  STARTING,
  /** Passing its readiness probe: routable. */
  READY,
  /** Was ready, now fails its readiness probe: not routable, still running. */
  NOT_READY,
  /** Died or failed its liveness probe; will be started again after a back-off. */
  RESTARTING,
  /** Being stopped: not routable, its in-flight requests may still finish. */
  STOPPING,
  /** Gone for good. */
  STOPPED,
  /** Gave up: it kept dying before it ever became ready. */
  FAILED;

  public boolean routable() {
    return this == READY;
  }

  public boolean terminal() {
    return this == STOPPED || this == FAILED;
  }
}

package io.sluice.autoscaler.replica;

/** Receives every change of a replica's status from a {@link ReplicaProvider}. */
@FunctionalInterface
public interface ReplicaListener {
  void onStatus(ReplicaStatus status);
}

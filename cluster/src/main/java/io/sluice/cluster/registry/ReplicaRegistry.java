package io.sluice.cluster.registry;

import io.sluice.autoscaler.replica.ReplicaStatus;
import io.sluice.config.AppId;
import java.util.List;
import java.util.function.Consumer;

/**
 * Every replica of every app, wherever it runs, with its latest status.
 *
 * <p>Routing never asks the registry per request: a node subscribes once and keeps its own routing view current from
 * the changes. On one node the registry is in memory; in a fleet it is a Hazelcast map mirrored on every node.
 */
public interface ReplicaRegistry {

  /** Records a replica's latest status; a terminal status removes the replica after notifying subscribers. */
  void update(ReplicaStatus status);

  /** The replicas of an app, in the order they were first recorded. */
  List<ReplicaStatus> replicas(AppId app);

  /** Calls {@code listener} with every later change, on the thread that made the change. */
  void subscribe(Consumer<ReplicaStatus> listener);
}

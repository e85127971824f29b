package io.sluice.autoscaler.capacity;

import io.sluice.autoscaler.replica.ReplicaId;
import java.util.Objects;

/** A replica and the node whose capacity it holds. */
public record PlacedReplica(ReplicaId replica, NodeId node, ReplicaNeed need) {

  public PlacedReplica {
    Objects.requireNonNull(replica, "replica");
    Objects.requireNonNull(node, "node");
    Objects.requireNonNull(need, "need");
  }

  @Override
  public String toString() {
    return replica + " on " + node;
  }
}

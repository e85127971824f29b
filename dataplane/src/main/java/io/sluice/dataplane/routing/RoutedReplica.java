package io.sluice.dataplane.routing;

import io.sluice.autoscaler.replica.ReplicaId;
import io.vertx.core.net.SocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

/** A ready replica as the router sees it: where it is and how many requests this node has in flight on it. */
public final class RoutedReplica {

  private final ReplicaId id;
  private final SocketAddress address;
  private final AtomicInteger inFlight = new AtomicInteger();

  public RoutedReplica(ReplicaId id, SocketAddress address) {
    this.id = id;
    this.address = address;
  }

  public ReplicaId id() {
    return id;
  }

  public SocketAddress address() {
    return address;
  }

  public int inFlight() {
    return inFlight.get();
  }

  /** Takes a slot on this replica, counted also in the node's total. */
  public ReplicaSlot acquire(NodeDrain node) {
    inFlight.incrementAndGet();
    return new ReplicaSlot(this, node);
  }

  void releaseOne() {
    inFlight.decrementAndGet();
  }
}

package io.sluice.dataplane.routing;

/**
 * One request's hold on a replica: taken through {@link AppRoute#tryAcquire}, given back once by {@link #release()}.
 * Releasing twice is harmless, so every path that ends a request may call it.
 */
public final class ReplicaSlot {

  private final RoutedReplica replica;
  private final NodeDrain node;
  private boolean released;

  ReplicaSlot(RoutedReplica replica, NodeDrain node) {
    this.replica = replica;
    this.node = node;
    node.started();
  }

  public RoutedReplica replica() {
    return replica;
  }

  /** Called on the request's own event loop only, so a plain flag is enough. */
  public void release() {
    if (!released) {
      released = true;
      replica.releaseOne();
      node.ended();
    }
  }
}

package io.sluice.dataplane.routing;

import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A request waiting in an app's {@link HoldQueue} for a replica slot. Exactly one of three things happens to it, decided
 * by a compare-and-set: it gets a slot, its wait expires, or its client goes away.
 */
public final class HeldRequest {

  private static final int WAITING = 0;
  private static final int DISPATCHED = 1;
  private static final int CANCELLED = 2;

  private final Executor loop;
  private final long heldAtNanos;
  private final Consumer<ReplicaSlot> onSlot;
  private final AtomicInteger state = new AtomicInteger(WAITING);

  HeldRequest(Executor loop, long heldAtNanos, Consumer<ReplicaSlot> onSlot) {
    this.loop = loop;
    this.heldAtNanos = heldAtNanos;
    this.onSlot = onSlot;
  }

  public long heldAtNanos() {
    return heldAtNanos;
  }

  boolean claim() {
    return state.compareAndSet(WAITING, DISPATCHED);
  }

  /** Takes the request out of the running; false if it already got a slot. */
  boolean cancel() {
    return state.compareAndSet(WAITING, CANCELLED);
  }

  /** Continues the request on its own event loop with the slot it got. */
  void proceed(ReplicaSlot slot) {
    loop.execute(() -> onSlot.accept(slot));
  }
}

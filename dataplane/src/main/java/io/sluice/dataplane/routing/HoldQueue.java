package io.sluice.dataplane.routing;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Requests of one app waiting for a replica slot, oldest first, bounded in number. Requests come from every event
 * loop and slots free up on every event loop, so the queue is lock-free and a request is handed over to its own loop.
 */
final class HoldQueue {

  private final ConcurrentLinkedQueue<HeldRequest> waiting = new ConcurrentLinkedQueue<>();
  private final AtomicInteger depth = new AtomicInteger();
  private final int maxDepth;

  HoldQueue(int maxDepth) {
    this.maxDepth = maxDepth;
  }

  /** False when the queue is full. */
  boolean offer(HeldRequest request) {
    while (true) {
      int current = depth.get();
      if (current >= maxDepth) {
        return false;
      }
      if (depth.compareAndSet(current, current + 1)) {
        waiting.add(request);
        return true;
      }
    }
  }

  /** The oldest request still waiting, claimed for dispatch; null when none waits. */
  HeldRequest claimOldest() {
    for (HeldRequest next; (next = waiting.poll()) != null; ) {
      if (next.claim()) {
        depth.decrementAndGet();
        return next;
      }
    }
    return null;
  }

  /** Withdraws a request whose wait expired or whose client left; false if it got a slot first. */
  boolean withdraw(HeldRequest request) {
    if (!request.cancel()) {
      return false;
    }
    depth.decrementAndGet();
    waiting.remove(request);
    return true;
  }

  int depth() {
    return depth.get();
  }

  boolean isEmpty() {
    return depth.get() == 0;
  }
}

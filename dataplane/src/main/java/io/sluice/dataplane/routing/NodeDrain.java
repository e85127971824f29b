package io.sluice.dataplane.routing;

import java.util.concurrent.atomic.LongAdder;

/**
 * The node's requests in flight, and whether it is draining: a draining node answers new requests with 503 so that
 * clients and load balancers go elsewhere, while the requests it has already taken run to their end.
 */
public final class NodeDrain {

  private final LongAdder inFlight = new LongAdder();
  private volatile boolean draining;

  public void begin() {
    draining = true;
  }

  public boolean draining() {
    return draining;
  }

  public long inFlight() {
    return inFlight.sum();
  }

  void started() {
    inFlight.increment();
  }

  void ended() {
    inFlight.decrement();
  }
}

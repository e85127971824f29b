package io.sluice.dataplane.routing;

import io.sluice.autoscaler.replica.ReplicaId;
import io.vertx.core.net.SocketAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A ready replica as the router sees it: where it is, and how many requests this node has in flight on it. Slots are
 * taken with a compare-and-set against the app's hard limit, so event loops picking at the same time can never put
 * more than the limit on one replica.
 */
public final class RoutedReplica {

  private final ReplicaId id;
  private final SocketAddress address;
  private final InetSocketAddress socketAddress;
  private final String hostHeader;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final Runnable onRelease;
  private volatile long unreachableUntilNanos;

  RoutedReplica(ReplicaId id, SocketAddress address, Runnable onRelease) {
    this.id = id;
    this.address = address;
    // Replica addresses are IP literals (local processes, pod IPs), so this resolves nothing.
    this.socketAddress = new InetSocketAddress(address.host(), address.port());
    this.hostHeader = address.host() + ":" + address.port();
    this.onRelease = onRelease;
  }

  public ReplicaId id() {
    return id;
  }

  public SocketAddress address() {
    return address;
  }

  /** The same address as the proxy's sockets take it. */
  public InetSocketAddress socketAddress() {
    return socketAddress;
  }

  /** The {@code Host} a request to this replica carries, as nginx's {@code $proxy_host}. */
  public String hostHeader() {
    return hostHeader;
  }

  public int inFlight() {
    return inFlight.get();
  }

  /** How long a replica that refused a connection is passed over, as nginx's {@code fail_timeout}. */
  public static final long UNREACHABLE_NANOS = TimeUnit.SECONDS.toNanos(5);

  /**
   * A connection to it was refused or timed out: this node passes it over for a while. Its node may have died, which
   * the fleet notices only some seconds later; until then no request here is sent to it to fail.
   */
  public void markUnreachable(long nowNanos) {
    unreachableUntilNanos = nowNanos + UNREACHABLE_NANOS;
  }

  /** Whether it is passed over now; reads the clock only for a replica that was marked. */
  boolean unreachable() {
    long until = unreachableUntilNanos;
    return until != 0 && until - System.nanoTime() > 0;
  }

  /** A slot on this replica if it has fewer than {@code limit} requests in flight, else null. */
  ReplicaSlot tryAcquire(int limit, NodeDrain node) {
    while (true) {
      int current = inFlight.get();
      if (current >= limit) {
        return null;
      }
      if (inFlight.compareAndSet(current, current + 1)) {
        return new ReplicaSlot(this, node);
      }
    }
  }

  void releaseOne() {
    inFlight.decrementAndGet();
    onRelease.run();
  }
}

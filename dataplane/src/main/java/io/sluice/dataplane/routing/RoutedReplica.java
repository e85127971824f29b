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
  /** This node's part of the replica's hard limit in a fleet ({@link SlotShares}); negative: all of it. */
  private volatile int share = -1;

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

  /** How many requests this node may have in flight on it, given the app's hard limit. */
  int limit(int hardLimit) {
    int part = share;
    return part < 0 ? hardLimit : part;
  }

  /** Sets this node's part of the hard limit; negative gives it all of it again. */
  void share(int part) {
    share = part;
  }

  /** A slot on this replica if it has fewer than this node's part of {@code hardLimit} in flight, else null. */
  ReplicaSlot tryAcquire(int hardLimit, NodeDrain node) {
    int limit = limit(hardLimit);
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

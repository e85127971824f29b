package io.sluice.dataplane.proxy;

/**
 * How long one replica's idle keep-alive connections may still carry a request, learned from what the replica does
 * with them. A request sent on a connection that the replica is closing at that moment is lost if it has a body (it
 * cannot be sent again), so a connection is used only while it is clearly younger than the replica's idle timeout,
 * which no replica announces.
 *
 * <p>Until the replica shows more, the limit is {@link #DEFAULT_NANOS}, below the 5 s that uvicorn (FastAPI's server)
 * and many others keep an idle connection. Two things teach it:
 * <ul>
 *   <li>an idle connection still open at some age: the replica keeps them at least that long, and the limit rises to
 *       that age less a margin;</li>
 *   <li>the replica closing an idle connection at some age: the limit falls below that age by the margin, and what
 *       was seen open before no longer counts (it may have been another replica process at the same address).</li>
 * </ul>
 * A connection seen open at an age beyond the last close means that close was not an idle timeout (a restart, say),
 * and it no longer counts either. The margin is {@link #MARGIN_NANOS}, or half the age where that is less.
 *
 * <p>Ages are in nanoseconds, given by the caller: nothing here reads a clock.
 */
final class IdleLimit {

  static final long DEFAULT_NANOS = 4_000_000_000L;
  static final long MARGIN_NANOS = 1_000_000_000L;

  private long longestOpenNanos;
  private long shortestClosedNanos = Long.MAX_VALUE;
  private long limitNanos = DEFAULT_NANOS;

  /** Whether a connection idle for {@code idleNanos} may carry a request. */
  boolean allows(long idleNanos) {
    return idleNanos < limitNanos;
  }

  long nanos() {
    return limitNanos;
  }

  /** An idle connection was seen still open at this age. */
  void seenOpen(long idleNanos) {
    if (idleNanos > shortestClosedNanos) {
      shortestClosedNanos = Long.MAX_VALUE;
    }
    if (idleNanos > longestOpenNanos) {
      longestOpenNanos = idleNanos;
    }
    update();
  }

  /** The replica closed an idle connection at this age. */
  void closedByReplica(long idleNanos) {
    shortestClosedNanos = Math.min(shortestClosedNanos, idleNanos);
    longestOpenNanos = 0;
    update();
  }

  private void update() {
    long limit = Math.max(DEFAULT_NANOS, belowByMargin(longestOpenNanos));
    if (shortestClosedNanos != Long.MAX_VALUE) {
      limit = Math.min(limit, belowByMargin(shortestClosedNanos));
    }
    limitNanos = limit;
  }

  private static long belowByMargin(long nanos) {
    return nanos - Math.min(MARGIN_NANOS, nanos / 2);
  }
}

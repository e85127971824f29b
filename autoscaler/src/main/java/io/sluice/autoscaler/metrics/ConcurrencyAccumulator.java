package io.sluice.autoscaler.metrics;

/**
 * Measures one app's load on one event loop: the time-weighted average of requests in flight, and the requests
 * started, over each second; {@link #close} hands the second over as a {@link MetricBucket}. This is what Knative's
 * queue-proxy does per pod; a Sluice node does it per app because every request to a replica passes through it.
 *
 * <p>What counts as in flight: a request from the moment the node admits it until its response ends, whether it waits
 * in the hold queue or is being proxied. Knative's activator counts the requests it holds the same way, which is how
 * a request waiting at zero becomes demand that the autoscaler sees; the hold queue's depth is reported apart
 * ({@code ScalingInputs.queueDepth}) for the policies that use it.
 *
 * <p>The two calls are kept apart so that each does one thing: {@link #change} moves the number in flight (+1 when
 * admitted, -1 when done) and {@link #request} counts a start for the request rate; neither does the other's work. An
 * ordinary request calls {@code change(t, +1)} and {@code request(t)} when admitted and {@code change(t, -1)} when it
 * ends; a request retried on another replica stays one request and one in flight.
 *
 * <p>Not thread-safe: one instance belongs to one event loop, which also calls {@link #close}. Times are
 * {@link System#nanoTime()} readings passed in by the caller, so tests drive it without a clock.
 */
public final class ConcurrencyAccumulator {

  private static final double NANOS_PER_SECOND = 1e9;

  private int inFlight;
  private long lastChangeNanos;
  private long lastCloseNanos;
  /** In-flight count integrated over time since the last close, in request-nanoseconds. */
  private double inFlightNanos;
  private long requests;

  /** Starts measuring at {@code nanoTime}; the first bucket covers the time from here to the first close. */
  public ConcurrencyAccumulator(long nanoTime) {
    this.lastChangeNanos = nanoTime;
    this.lastCloseNanos = nanoTime;
  }

  /** Moves the number of requests in flight by {@code delta} (+1 admitted, -1 done) at {@code nanoTime}. */
  public void change(long nanoTime, int delta) {
    advanceTo(nanoTime);
    // A release without an acquire is a bug elsewhere; throwing here would take the event loop's request path with
    // it, so the count stops at zero instead and the bug shows as a lower concurrency.
    inFlight = Math.max(0, inFlight + delta);
  }

  /** Counts one request started at {@code nanoTime} towards the request rate; does not change the in-flight count. */
  public void request(long nanoTime) {
    advanceTo(nanoTime);
    requests++;
  }

  /**
   * Closes the current second: returns the time-weighted average in flight since the previous close (or since
   * construction) and the requests counted since then, stamped {@code epochSecond}; requests still in flight carry
   * over into the next bucket.
   */
  public MetricBucket close(long epochSecond, long nanoTimeAtClose) {
    advanceTo(nanoTimeAtClose);
    long elapsed = lastChangeNanos - lastCloseNanos;
    double average = elapsed > 0 ? inFlightNanos / elapsed : inFlight;
    MetricBucket bucket = new MetricBucket(epochSecond, average, requests);
    inFlightNanos = 0;
    requests = 0;
    lastCloseNanos = lastChangeNanos;
    return bucket;
  }

  /** Requests in flight right now. */
  public int inFlight() {
    return inFlight;
  }

  private void advanceTo(long nanoTime) {
    // One event loop calls this, so readings only go forward; a reading from before the last one (a caller that read
    // the clock early) is taken as "now" rather than making time run backwards.
    if (nanoTime > lastChangeNanos) {
      inFlightNanos += (double) inFlight * (nanoTime - lastChangeNanos);
      lastChangeNanos = nanoTime;
    }
  }

  @Override
  public String toString() {
    return "ConcurrencyAccumulator{inFlight=" + inFlight + ", requests=" + requests
        + ", openFor=" + (lastChangeNanos - lastCloseNanos) / NANOS_PER_SECOND + "s}";
  }
}

package io.sluice.autoscaler.metrics;

import java.time.Duration;
import java.time.Instant;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * One app's recent load, in one-second buckets merged from every node, and its averages over a window ending now.
 *
 * <p>The averages follow Knative's {@code TimedFloat64Buckets.WindowAverage}, so that the Knative-compatible policy
 * sees the numbers Knative's autoscaler would:
 *
 * <ul>
 *   <li>A second inside the window with no bucket, between seconds that have one, counts as zero load.
 *   <li>Seconds after the newest bucket are not counted: with data last seen 10 s ago in a 60 s window, the average
 *       is over the 50 s that had data. (This is also what keeps the second still being measured on the nodes from
 *       diluting the average.)
 *   <li>A window not yet full of data is averaged over the seconds it has: from the first bucket of the current run of
 *       data, where a run is broken by a silence longer than the window. Six seconds after an app's first request
 *       the 60 s average is over those six seconds.
 *   <li>Nothing newer than the window's length: "no data" ({@link OptionalDouble#empty()}), never a guessed zero —
 *       except that data last seen exactly one window ago averages to zero, as in Knative.
 * </ul>
 *
 * Knative floors its averages to six decimals; these are not rounded. As in Knative, when the newest bucket is
 * stamped after {@code now} (a node's clock a little ahead), the window ends at that bucket instead.
 *
 * <p>Mutable and not thread-safe: a window is owned by the one thread that runs the app's decider, which adds the
 * nodes' buckets and asks for averages on its tick.
 */
public final class MetricWindow {

  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  private final Duration longestWindow;
  private final long retainedSeconds;
  private final NavigableMap<Long, MetricBucket> buckets = new TreeMap<>();

  /**
   * A window that can answer for windows up to {@code longestWindow} (the stable window). It keeps twice that much
   * history, which is what finding the start of the current run of data needs.
   */
  public MetricWindow(Duration longestWindow) {
    Objects.requireNonNull(longestWindow, "longestWindow");
    if (longestWindow.compareTo(Duration.ofSeconds(1)) < 0) {
      throw new IllegalArgumentException("longestWindow: " + longestWindow + " (expected: >= 1s)");
    }
    this.longestWindow = longestWindow;
    this.retainedSeconds = 2 * bucketsIn(longestWindow) + 1;
  }

  /**
   * Adds a bucket; one for a second already held is added to it (the deciding node merging nodes' buckets). A bucket
   * older than the history kept is dropped.
   */
  public void add(MetricBucket bucket) {
    Objects.requireNonNull(bucket, "bucket");
    Long newest = buckets.isEmpty() ? null : buckets.lastKey();
    if (newest != null && bucket.epochSecond() <= newest - retainedSeconds) {
      return;
    }
    buckets.merge(bucket.epochSecond(), bucket, MetricBucket::plus);
    buckets.headMap(buckets.lastKey() - retainedSeconds, true).clear();
  }

  /** Time-weighted average requests in flight over {@code window} ending at {@code now}; empty when there is no data. */
  public OptionalDouble averageConcurrency(Instant now, Duration window) {
    return average(now, window, MetricBucket::concurrency);
  }

  /** Average requests started per second over {@code window} ending at {@code now}; empty when there is no data. */
  public OptionalDouble averageRate(Instant now, Duration window) {
    return average(now, window, MetricBucket::requests);
  }

  /** The longest window this can answer for. */
  public Duration longestWindow() {
    return longestWindow;
  }

  private OptionalDouble average(Instant now, Duration window, ToDoubleFunction<MetricBucket> value) {
    Objects.requireNonNull(now, "now");
    Objects.requireNonNull(window, "window");
    if (window.compareTo(Duration.ofSeconds(1)) < 0 || window.compareTo(longestWindow) > 0) {
      throw new IllegalArgumentException(
          "window: " + window + " (expected: >= 1s and <= the longest window, " + longestWindow + ")");
    }
    if (buckets.isEmpty()) {
      return OptionalDouble.empty();
    }
    long lastWrite = buckets.lastKey();
    // A bucket stamped after now (a node's clock a little ahead) counts, and the window then ends at it, as in Knative.
    long second = Math.max(now.getEpochSecond(), lastWrite);
    long windowNanos = window.toNanos();
    long silentNanos = (second - lastWrite) * NANOS_PER_SECOND;
    if (silentNanos > windowNanos) {
      return OptionalDouble.empty();
    }
    if (silentNanos == windowNanos) {
      return OptionalDouble.of(0);
    }
    long size = bucketsIn(window);
    long oldest = second - size + 1;
    double total = 0;
    for (MetricBucket bucket : buckets.subMap(oldest, true, lastWrite, true).values()) {
      total += value.applyAsDouble(bucket);
    }
    long counted = Math.min(lastWrite - firstWriteOfRun(lastWrite, oldest, windowNanos) + 1, size - (second - lastWrite));
    return OptionalDouble.of(total / counted);
  }

  /**
   * Where the run of data ending at {@code lastWrite} starts: walking back, a silence longer than the window ends it.
   * Once the walk passes {@code oldest}, the run covers the whole window and where exactly it starts no longer matters.
   */
  private long firstWriteOfRun(long lastWrite, long oldest, long windowNanos) {
    long first = lastWrite;
    for (long earlier : buckets.headMap(lastWrite, false).descendingKeySet()) {
      if ((first - earlier) * NANOS_PER_SECOND > windowNanos) {
        break;
      }
      first = earlier;
      if (first < oldest) {
        break;
      }
    }
    return first;
  }

  private static long bucketsIn(Duration window) {
    return (window.toNanos() + NANOS_PER_SECOND - 1) / NANOS_PER_SECOND;
  }

  @Override
  public String toString() {
    return "MetricWindow{buckets=" + buckets.size() + ", longestWindow=" + longestWindow + "}";
  }
}

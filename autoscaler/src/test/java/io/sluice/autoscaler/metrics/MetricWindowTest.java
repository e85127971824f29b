package io.sluice.autoscaler.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Window averages with Knative's semantics. Rows marked with a Go test name carry over the steps of Knative's
 * {@code pkg/autoscaler/aggregation/bucketing_test.go}, each step as its own row with the buckets written so far.
 */
class MetricWindowTest {

  private static final long T = 1_704_067_200L;
  private static final Duration FIVE_SECONDS = Duration.ofSeconds(5);

  enum Metric { CONCURRENCY, RATE }

  record Case(String name, Duration longest, List<MetricBucket> buckets, Instant now, Duration window, Metric metric,
      OptionalDouble want) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    List<MetricBucket> oneToFive = concurrency(0, 1, 2, 3, 4, 5);
    List<MetricBucket> withHole = plus(oneToFive, bucket(6, 91));
    List<MetricBucket> newRun = plus(withHole, bucket(60, 1984));
    List<MetricBucket> lateInRun = plus(newRun, bucket(57, 4));
    List<MetricBucket> oneMore = plus(lateInRun, bucket(61, 5));
    List<MetricBucket> lateAgain = plus(oneMore, bucket(58, 10));
    List<MetricBucket> tooEarly = plus(lateAgain, bucket(55, 10));
    return Stream.of(
        new Case("no buckets is no data", FIVE_SECONDS, List.of(), at(0), FIVE_SECONDS, Metric.CONCURRENCY,
            OptionalDouble.empty()),
        new Case("a first bucket averages over itself, not the whole window (TestTimedFloat64BucketsWindowAverage)",
            FIVE_SECONDS, concurrency(0, 1), at(0), FIVE_SECONDS, Metric.CONCURRENCY, OptionalDouble.of(1)),
        new Case("a full window averages over all its seconds (TestTimedFloat64BucketsWindowAverage)",
            FIVE_SECONDS, oneToFive, at(4), FIVE_SECONDS, Metric.CONCURRENCY, OptionalDouble.of(3)),
        new Case("a now behind the newest bucket ends the window at that bucket (TestTimedFloat64BucketsWindowAverage, "
            + "now lags behind)", FIVE_SECONDS, oneToFive, at(3).plusMillis(600), FIVE_SECONDS, Metric.CONCURRENCY,
            OptionalDouble.of(3)),
        new Case("seconds after the newest bucket are not counted (TestTimedFloat64BucketsWindowAverage, short hole)",
            FIVE_SECONDS, oneToFive, at(6), FIVE_SECONDS, Metric.CONCURRENCY, OptionalDouble.of((3 + 4 + 5) / 3.0)),
        new Case("silence longer than the window is no data (TestTimedFloat64BucketsWindowAverage, long hole)",
            FIVE_SECONDS, oneToFive, at(10), FIVE_SECONDS, Metric.CONCURRENCY, OptionalDouble.empty()),
        new Case("silence of exactly one window averages to zero, as Knative's WindowAverage does",
            FIVE_SECONDS, oneToFive, at(9), FIVE_SECONDS, Metric.CONCURRENCY, OptionalDouble.of(0)),
        new Case("a gap inside the window counts as zero load (TestTimedFloat64BucketsWindowAverage, write with holes)",
            FIVE_SECONDS, withHole, at(6), FIVE_SECONDS, Metric.CONCURRENCY,
            OptionalDouble.of((3 + 4 + 5 + 0 + 91) / 5.0)),
        new Case("data after a silence longer than the window starts a new partial window "
            + "(TestTimedFloat64BucketsWindowAverage, advance much farther)", FIVE_SECONDS, newRun, at(60),
            FIVE_SECONDS, Metric.CONCURRENCY, OptionalDouble.of(1984)),
        new Case("a late bucket joins the run it belongs to (TestTimedFloat64BucketsWindowAverage, earlier time)",
            FIVE_SECONDS, lateInRun, at(60), FIVE_SECONDS, Metric.CONCURRENCY, OptionalDouble.of((4 + 1984) / 4.0)),
        new Case("one more second fills the window (TestTimedFloat64BucketsWindowAverage, one more second)",
            FIVE_SECONDS, oneMore, at(61), FIVE_SECONDS, Metric.CONCURRENCY,
            OptionalDouble.of((4 + 1984 + 5) / 5.0)),
        new Case("a late bucket of the same second adds to it (TestTimedFloat64BucketsWindowAverage, earlier again)",
            FIVE_SECONDS, lateAgain, at(61), FIVE_SECONDS, Metric.CONCURRENCY,
            OptionalDouble.of((4 + 10 + 1984 + 5) / 5.0)),
        new Case("a bucket older than the window is not counted (TestTimedFloat64BucketsWindowAverage, too early)",
            FIVE_SECONDS, tooEarly, at(61), FIVE_SECONDS, Metric.CONCURRENCY,
            OptionalDouble.of((4 + 10 + 1984 + 5) / 5.0)),
        new Case("buckets arriving newest first average the same (TestDescendingRecord)", FIVE_SECONDS,
            newestFirst(8, 5), at(5), FIVE_SECONDS, Metric.CONCURRENCY,
            OptionalDouble.of(5)),
        new Case("buckets of one second from several nodes add up", FIVE_SECONDS,
            List.of(bucket(0, 1.5), bucket(0, 2.5)), at(0), FIVE_SECONDS, Metric.CONCURRENCY, OptionalDouble.of(4)),
        new Case("the request rate averages requests started per second", FIVE_SECONDS,
            List.of(new MetricBucket(T, 9, 10), new MetricBucket(T + 1, 9, 20)), at(1), FIVE_SECONDS, Metric.RATE,
            OptionalDouble.of(15)),
        new Case("a panic window over a full stable window averages only its own seconds", Duration.ofSeconds(60),
            concurrency(0, ramp(60)), at(59), Duration.ofSeconds(6), Metric.CONCURRENCY,
            OptionalDouble.of((54 + 55 + 56 + 57 + 58 + 59) / 6.0)),
        new Case("an app three seconds old averages its stable window over those three seconds",
            Duration.ofSeconds(60), concurrency(0, 3, 6, 9), at(2), Duration.ofSeconds(60), Metric.CONCURRENCY,
            OptionalDouble.of(6)),
        new Case("the stable window keeps data the panic window has already dropped", Duration.ofSeconds(60),
            concurrency(0, 6, 6), at(20), Duration.ofSeconds(60), Metric.CONCURRENCY, OptionalDouble.of(6)),
        new Case("a panic window with nothing in it is no data while the stable window has some",
            Duration.ofSeconds(60), concurrency(0, 6, 6), at(20), Duration.ofSeconds(6), Metric.CONCURRENCY,
            OptionalDouble.empty()),
        new Case("a window of a fraction of seconds covers the seconds it touches", Duration.ofSeconds(60),
            concurrency(0, 1, 2, 3, 4, 5, 6), at(5), Duration.ofMillis(4500), Metric.CONCURRENCY,
            OptionalDouble.of((2 + 3 + 4 + 5 + 6) / 5.0)),
        new Case("history kept for twice the longest window still finds where a long run started",
            Duration.ofSeconds(5), concurrency(0, ramp(100)), at(99), FIVE_SECONDS, Metric.CONCURRENCY,
            OptionalDouble.of((95 + 96 + 97 + 98 + 99) / 5.0)));
  }

  @ParameterizedTest
  @MethodSource("cases")
  void averages_like_knative(Case c) {
    MetricWindow window = new MetricWindow(c.longest);
    c.buckets.forEach(window::add);

    OptionalDouble got = c.metric == Metric.RATE
        ? window.averageRate(c.now, c.window)
        : window.averageConcurrency(c.now, c.window);

    assertThat(got.isPresent()).as("has data").isEqualTo(c.want.isPresent());
    if (c.want.isPresent()) {
      assertThat(got.getAsDouble()).isCloseTo(c.want.getAsDouble(), within(1e-9));
    }
  }

  @Test
  void a_window_longer_than_the_longest_it_keeps_is_refused() {
    MetricWindow window = new MetricWindow(FIVE_SECONDS);

    assertThatThrownBy(() -> window.averageConcurrency(at(0), Duration.ofSeconds(6)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("window: PT6S (expected: >= 1s and <= the longest window, PT5S)");
  }

  @Test
  void buckets_older_than_the_history_kept_are_dropped() {
    MetricWindow window = new MetricWindow(FIVE_SECONDS);
    window.add(bucket(100, 1));
    window.add(bucket(100 - 11, 1000));

    assertThat(window.averageConcurrency(at(100), Duration.ofSeconds(5))).hasValue(1);
  }

  private static Instant at(long second) {
    return Instant.ofEpochSecond(T + second);
  }

  private static MetricBucket bucket(long second, double concurrency) {
    return new MetricBucket(T + second, concurrency, 0);
  }

  private static List<MetricBucket> concurrency(long firstSecond, double... values) {
    List<MetricBucket> buckets = new ArrayList<>();
    for (int i = 0; i < values.length; i++) {
      buckets.add(bucket(firstSecond + i, values[i]));
    }
    return List.copyOf(buckets);
  }

  /** Seconds {@code newest} down to 0, each with {@code value}. */
  private static List<MetricBucket> newestFirst(long newest, double value) {
    List<MetricBucket> buckets = new ArrayList<>();
    for (long second = newest; second >= 0; second--) {
      buckets.add(bucket(second, value));
    }
    return List.copyOf(buckets);
  }

  private static double[] ramp(int seconds) {
    double[] values = new double[seconds];
    for (int i = 0; i < seconds; i++) {
      values[i] = i;
    }
    return values;
  }

  private static List<MetricBucket> plus(List<MetricBucket> buckets, MetricBucket bucket) {
    List<MetricBucket> all = new ArrayList<>(buckets);
    all.add(bucket);
    return List.copyOf(all);
  }
}

package io.sluice.autoscaler.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The time-weighting of one event loop's per-app counter, one row per behaviour. */
class ConcurrencyAccumulatorTest {

  private static final long MS = 1_000_000L;
  private static final long SECOND = 1_000 * MS;
  private static final long START = 5 * SECOND;
  private static final long EPOCH_SECOND = 1_704_067_200L;

  record Case(String name, Consumer<Script> events, List<MetricBucket> buckets) {
    @Override
    public String toString() {
      return name;
    }
  }

  /** Events at milliseconds after the start; each close closes the next epoch second. */
  static final class Script {
    final ConcurrencyAccumulator accumulator = new ConcurrencyAccumulator(START);
    final List<MetricBucket> closed = new java.util.ArrayList<>();
    private long second = EPOCH_SECOND;

    Script start(long atMs) {
      accumulator.change(START + atMs * MS, +1);
      accumulator.request(START + atMs * MS);
      return this;
    }

    Script end(long atMs) {
      accumulator.change(START + atMs * MS, -1);
      return this;
    }

    Script request(long atMs) {
      accumulator.request(START + atMs * MS);
      return this;
    }

    Script close(long atMs) {
      closed.add(accumulator.close(second++, START + atMs * MS));
      return this;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("two requests in flight for half a second average one",
            s -> s.start(0).start(0).end(500).end(500).close(1000),
            List.of(bucket(0, 1.0, 2))),
        new Case("a second with nothing in flight averages zero",
            s -> s.close(1000),
            List.of(bucket(0, 0, 0))),
        new Case("a request in flight across a close carries over into the next second",
            s -> s.start(500).close(1000).close(2000).end(2250).close(3000),
            List.of(bucket(0, 0.5, 1), bucket(1, 1.0, 0), bucket(2, 0.25, 0))),
        new Case("overlapping requests add up for the time they overlap",
            s -> s.start(0).start(250).end(750).end(1000).close(1000),
            List.of(bucket(0, 1.5, 2))),
        new Case("a late close averages over the whole time since the previous close",
            s -> s.close(1000).start(1000).end(1750).close(2500),
            List.of(bucket(0, 0, 0), bucket(1, 0.5, 1))),
        new Case("a close at the instant of the previous one reports the count in flight",
            s -> s.start(0).close(1000).close(1000),
            List.of(bucket(0, 1.0, 1), bucket(1, 1.0, 0))),
        new Case("requests counted without a slot add to the rate and not to concurrency",
            s -> s.request(100).request(200).request(300).close(1000),
            List.of(bucket(0, 0, 3))),
        new Case("an end without a start stops at zero in flight",
            s -> s.end(0).start(500).close(1000),
            List.of(bucket(0, 0.5, 1))),
        new Case("a reading earlier than the previous one counts as now",
            s -> s.start(600).end(400).close(1000),
            List.of(bucket(0, 0, 1))));
  }

  @ParameterizedTest
  @MethodSource("cases")
  void closes_each_second_into_a_time_weighted_bucket(Case c) {
    Script script = new Script();
    c.events.accept(script);

    assertThat(script.closed).hasSameSizeAs(c.buckets);
    for (int i = 0; i < c.buckets.size(); i++) {
      MetricBucket want = c.buckets.get(i);
      MetricBucket got = script.closed.get(i);
      assertThat(got.epochSecond()).as("second of bucket %d", i).isEqualTo(want.epochSecond());
      assertThat(got.concurrency()).as("concurrency of bucket %d", i).isCloseTo(want.concurrency(), within(1e-9));
      assertThat(got.requests()).as("requests of bucket %d", i).isEqualTo(want.requests());
    }
  }

  private static MetricBucket bucket(int second, double concurrency, double requests) {
    return new MetricBucket(EPOCH_SECOND + second, concurrency, requests);
  }
}

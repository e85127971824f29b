package io.sluice.dataplane.scaling;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.autoscaler.metrics.MetricBucket;
import io.sluice.cluster.load.FleetLoad.NodeLoad;
import io.sluice.config.AppId;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Merging the nodes' published seconds: the windows end where every node with load has published. */
class LoadAveragesTest {

  private static final AppId APP = new AppId("p", "a");
  private static final Duration STABLE = Duration.ofSeconds(10);
  private static final Duration PANIC = Duration.ofSeconds(1);

  /** A node that published at {@code atMillis} the seconds {@code from} to {@code to}, each at {@code concurrency}. */
  private static NodeLoad node(String name, long atMillis, long from, long to, double concurrency) {
    List<MetricBucket> buckets = new ArrayList<>();
    for (long second = from; second <= to; second++) {
      buckets.add(new MetricBucket(second, concurrency, concurrency));
    }
    return new NodeLoad(name, APP, atMillis, buckets, 0, Map.of());
  }

  @Test
  void a_second_one_node_has_not_published_yet_is_left_out_rather_than_counted_short() {
    List<NodeLoad> loads = List.of(
        node("a", 110_200, 100, 109, 4),
        node("b", 109_900, 100, 108, 4));

    LoadAverages seen = LoadAverages.of(loads, STABLE, PANIC, Instant.ofEpochMilli(110_500));

    assertThat(seen.stableConcurrency()).hasValue(8.0);
    assertThat(seen.panicConcurrency()).as("a one-second panic window still has its second").hasValue(8.0);
    assertThat(seen.panicRate()).hasValue(8.0);
  }

  @Test
  void a_node_whose_load_stopped_does_not_hold_the_others_back() {
    List<NodeLoad> loads = List.of(
        node("busy", 110_200, 100, 109, 6),
        node("quiet", 110_100, 100, 104, 2));

    LoadAverages seen = LoadAverages.of(loads, STABLE, PANIC, Instant.ofEpochMilli(110_500));

    assertThat(seen.panicConcurrency()).hasValue(6.0);
    assertThat(seen.stableConcurrency().getAsDouble()).isEqualTo((10 * 6 + 5 * 2) / 10.0);
  }

  @Test
  void a_fleet_whose_load_stopped_decays_as_the_seconds_pass() {
    List<NodeLoad> loads = List.of(node("a", 100_500, 95, 99, 3));

    LoadAverages seen = LoadAverages.of(loads, STABLE, PANIC, Instant.ofEpochMilli(108_000));

    assertThat(seen.panicConcurrency().orElse(0)).isZero();
    assertThat(seen.stableConcurrency().getAsDouble()).isLessThan(3.0);
  }
}

package io.sluice.autoscaler.decision;

import static io.sluice.autoscaler.decision.PolicyCases.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.autoscaler.metrics.MetricBucket;
import io.sluice.autoscaler.metrics.MetricWindow;
import io.sluice.config.ScalingMetric;
import java.time.Duration;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

/** Reading a decision's inputs from an app's metric window. */
class ScalingInputsTest {

  /** Concurrency 1 and 10 requests a second for 54 s, then concurrency 7 and 70 requests a second for 6 s. */
  private static MetricWindow burstAtTheEnd() {
    MetricWindow window = new MetricWindow(Duration.ofSeconds(60));
    for (int second = 0; second < 60; second++) {
      boolean burst = second >= 54;
      window.add(new MetricBucket(T0.getEpochSecond() + second, burst ? 7 : 1, burst ? 70 : 10));
    }
    return window;
  }

  @Test
  void concurrency_is_read_over_the_stable_and_panic_windows() {
    ScalingInputs inputs =
        ScalingInputs.measure(burstAtTheEnd(), DeciderSpec.knativeDefaults(), T0.plusSeconds(59), 2, 1, 3);

    assertThat(inputs.stableValue()).hasValue((54 * 1 + 6 * 7) / 60.0);
    assertThat(inputs.panicValue()).hasValue(7);
    assertThat(inputs.readyReplicas()).isEqualTo(2);
    assertThat(inputs.pendingReplicas()).isEqualTo(1);
    assertThat(inputs.currentReplicas()).isEqualTo(3);
    assertThat(inputs.queueDepth()).isEqualTo(3);
  }

  @Test
  void a_request_rate_app_reads_requests_per_second() {
    DeciderSpec spec = SpecBuilder.of(DeciderSpec.knativeDefaults())
        .metric(ScalingMetric.REQUESTS_PER_SECOND)
        .build();

    ScalingInputs inputs = ScalingInputs.measure(burstAtTheEnd(), spec, T0.plusSeconds(59), 2, 0, 0);

    assertThat(inputs.stableValue()).hasValue((54 * 10 + 6 * 70) / 60.0);
    assertThat(inputs.panicValue()).hasValue(70);
  }

  @Test
  void an_empty_window_is_no_data() {
    ScalingInputs inputs = ScalingInputs.measure(
        new MetricWindow(Duration.ofSeconds(60)), DeciderSpec.knativeDefaults(), T0, 0, 0, 1);

    assertThat(inputs.stableValue()).isEmpty();
    assertThat(inputs.panicValue()).isEmpty();
  }

  @Test
  void negative_counts_are_refused_naming_the_key() {
    assertThatThrownBy(() -> new ScalingInputs(-1, 0, OptionalDouble.empty(), OptionalDouble.empty(), 0))
        .hasMessage("readyReplicas: -1 (expected: >= 0)");
    assertThatThrownBy(() -> new ScalingInputs(0, 0, OptionalDouble.of(-0.5), OptionalDouble.empty(), 0))
        .hasMessage("stableValue: -0.5 (expected: finite and >= 0)");
    assertThatThrownBy(() -> new ScalingInputs(0, 0, OptionalDouble.empty(), OptionalDouble.empty(), -2))
        .hasMessage("queueDepth: -2 (expected: >= 0)");
  }
}

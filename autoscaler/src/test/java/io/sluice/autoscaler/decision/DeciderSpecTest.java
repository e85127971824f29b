package io.sluice.autoscaler.decision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.config.ScalingMetric;
import io.sluice.config.ScalingSpec;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The spec's defaults, its mapping from an app's config, and every value it refuses. */
class DeciderSpecTest {

  private static final Duration STARTUP = Duration.ofSeconds(30);

  @Test
  void knative_defaults_are_those_of_config_autoscaler() {
    DeciderSpec spec = DeciderSpec.knativeDefaults();

    assertThat(spec).isEqualTo(new DeciderSpec(0, Integer.MAX_VALUE, ScalingMetric.CONCURRENCY_UTILIZATION, 70, 100,
        1000, 2, 10, 200, Duration.ofSeconds(60), Duration.ZERO, Duration.ofSeconds(30), 1, 211, 0, Duration.ZERO, 0));
    assertThat(spec.panicWindow()).isEqualTo(Duration.ofSeconds(6));
    assertThat(spec.panicThreshold()).isEqualTo(2.0);
  }

  record FromCase(String name, ScalingSpec scaling, Consumer<DeciderSpec> expect) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static ScalingSpec scaling(int min, int max, int replicaConcurrency, ScalingMetric metric, double target,
      double utilization, int buffer, Duration stableWindow, Duration scaleDownDelay) {
    return new ScalingSpec(min, max, replicaConcurrency, metric, target, utilization, buffer, stableWindow,
        scaleDownDelay, Duration.ofSeconds(900));
  }

  static Stream<FromCase> fromCases() {
    Duration minute = Duration.ofSeconds(60);
    return Stream.of(
        new FromCase("a cerebrium GPU app targets all of its replica concurrency, with Knative's other defaults",
            scaling(0, 3, 1, ScalingMetric.CONCURRENCY_UTILIZATION, 1, 1.0, 0, minute, minute),
            spec -> assertThat(spec).isEqualTo(new DeciderSpec(0, 3, ScalingMetric.CONCURRENCY_UTILIZATION, 1, 1,
                1000, 2, 10, 200, minute, minute, Duration.ofSeconds(30), 1, 211, 0, STARTUP, 1))),
        new FromCase("a truss app targets its concurrency target times its utilization",
            scaling(0, 1, 1, ScalingMetric.CONCURRENCY_UTILIZATION, 1, 0.7, 0, minute, Duration.ofSeconds(900)),
            spec -> {
              assertThat(spec.targetPerReplica()).isEqualTo(0.7);
              assertThat(spec.totalPerReplica()).isEqualTo(1);
              assertThat(spec.scaleDownDelay()).isEqualTo(Duration.ofSeconds(900));
            }),
        new FromCase("a concurrency target above the hard limit is lowered to it",
            scaling(0, 5, 4, ScalingMetric.CONCURRENCY_UTILIZATION, 10, 0.5, 0, minute, minute),
            spec -> {
              assertThat(spec.totalPerReplica()).isEqualTo(4);
              assertThat(spec.targetPerReplica()).isEqualTo(2);
              assertThat(spec.hardLimit()).isEqualTo(4);
            }),
        new FromCase("a request-rate target is not bounded by the hard limit",
            scaling(0, 5, 2, ScalingMetric.REQUESTS_PER_SECOND, 10, 1.0, 0, minute, minute),
            spec -> {
              assertThat(spec.metric()).isEqualTo(ScalingMetric.REQUESTS_PER_SECOND);
              assertThat(spec.targetPerReplica()).isEqualTo(10);
              assertThat(spec.totalPerReplica()).isEqualTo(10);
              assertThat(spec.hardLimit()).isEqualTo(2);
            }),
        new FromCase("a target too small is raised to Knative's minimum",
            scaling(0, 5, 1, ScalingMetric.CONCURRENCY_UTILIZATION, 1, 0.001, 0, minute, minute),
            spec -> assertThat(spec.targetPerReplica()).isEqualTo(0.01)),
        new FromCase("min, max and buffer come from the config",
            scaling(2, 7, 1, ScalingMetric.CONCURRENCY_UTILIZATION, 1, 1.0, 3, minute, minute),
            spec -> {
              assertThat(spec.minReplicas()).isEqualTo(2);
              assertThat(spec.maxReplicas()).isEqualTo(7);
              assertThat(spec.buffer()).isEqualTo(3);
            }),
        new FromCase("fractions of a second in the windows round up to whole seconds",
            scaling(0, 5, 1, ScalingMetric.CONCURRENCY_UTILIZATION, 1, 1.0, 0, Duration.ofMillis(1500),
                Duration.ofMillis(200)),
            spec -> {
              assertThat(spec.stableWindow()).isEqualTo(Duration.ofSeconds(2));
              assertThat(spec.scaleDownDelay()).isEqualTo(Duration.ofSeconds(1));
            }),
        new FromCase("a panic window under a second is one second, one bucket",
            scaling(0, 5, 1, ScalingMetric.CONCURRENCY_UTILIZATION, 1, 1.0, 0, Duration.ofSeconds(5), minute),
            spec -> assertThat(spec.panicWindow()).isEqualTo(Duration.ofSeconds(1))));
  }

  @ParameterizedTest
  @MethodSource("fromCases")
  void maps_an_apps_scaling_config(FromCase c) {
    c.expect.accept(DeciderSpec.from(c.scaling, STARTUP));
  }

  record BadCase(String name, UnaryOperator<SpecBuilder> change, String message) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<BadCase> badCases() {
    return Stream.of(
        new BadCase("negative min replicas", b -> b.minReplicas(-1), "minReplicas: -1 (expected: >= 0)"),
        new BadCase("zero max replicas", b -> b.maxReplicas(0), "maxReplicas: 0 (expected: >= 1)"),
        new BadCase("min above max", b -> b.minReplicas(5).maxReplicas(4),
            "minReplicas: 5 (expected: <= maxReplicas (4))"),
        new BadCase("zero target", b -> b.target(0), "targetPerReplica: 0.0 (expected: >= 0.01)"),
        new BadCase("target not a number", b -> b.target(Double.NaN), "targetPerReplica: NaN (expected: >= 0.01)"),
        new BadCase("total below the target", b -> b.total(50),
            "totalPerReplica: 50.0 (expected: >= targetPerReplica (70.0))"),
        new BadCase("scale-up rate of one", b -> b.maxScaleUpRate(1), "maxScaleUpRate: 1.0 (expected: > 1)"),
        new BadCase("scale-down rate of one", b -> b.maxScaleDownRate(1), "maxScaleDownRate: 1.0 (expected: > 1)"),
        new BadCase("panic window under 1 %", b -> b.panicWindowPercentage(0.5),
            "panicWindowPercentage: 0.5 (expected: >= 1 and <= 100)"),
        new BadCase("panic window over 100 %", b -> b.panicWindowPercentage(101),
            "panicWindowPercentage: 101.0 (expected: >= 1 and <= 100)"),
        new BadCase("panic threshold at capacity", b -> b.panicThresholdPercentage(100),
            "panicThresholdPercentage: 100.0 (expected: > 100)"),
        new BadCase("stable window of zero", b -> b.stableWindow(Duration.ZERO),
            "stableWindow: PT0S (expected: >= 1s, in whole seconds)"),
        new BadCase("stable window with a fraction of a second", b -> b.stableWindow(Duration.ofMillis(1500)),
            "stableWindow: PT1.5S (expected: >= 1s, in whole seconds)"),
        new BadCase("negative scale-down delay", b -> b.scaleDownDelay(Duration.ofSeconds(-1)),
            "scaleDownDelay: PT-1S (expected: >= 0, in whole seconds)"),
        new BadCase("scale-down delay with a fraction of a second", b -> b.scaleDownDelay(Duration.ofMillis(500)),
            "scaleDownDelay: PT0.5S (expected: >= 0, in whole seconds)"),
        new BadCase("negative grace period", b -> b.scaleToZeroGracePeriod(Duration.ofSeconds(-1)),
            "scaleToZeroGracePeriod: PT-1S (expected: >= 0)"),
        new BadCase("negative initial scale", b -> b.initialScale(-1), "initialScale: -1 (expected: >= 0)"),
        new BadCase("initial scale above max", b -> b.maxReplicas(4).initialScale(5),
            "initialScale: 5 (expected: <= maxReplicas (4))"),
        new BadCase("burst capacity below -1", b -> b.targetBurstCapacity(-2),
            "targetBurstCapacity: -2.0 (expected: >= 0, or -1 to keep the hold queue in the path)"),
        new BadCase("negative buffer", b -> b.buffer(-1), "buffer: -1 (expected: >= 0)"),
        new BadCase("negative start-up time", b -> b.replicaStartupTime(Duration.ofSeconds(-1)),
            "replicaStartupTime: PT-1S (expected: >= 0)"),
        new BadCase("negative hard limit", b -> b.hardLimit(-1), "hardLimit: -1 (expected: >= 0 (0: no limit))"));
  }

  @ParameterizedTest
  @MethodSource("badCases")
  void refuses_a_value_out_of_range_naming_the_key(BadCase c) {
    SpecBuilder builder = c.change.apply(SpecBuilder.of(DeciderSpec.knativeDefaults()));

    assertThatThrownBy(builder::build).isInstanceOf(IllegalArgumentException.class).hasMessage(c.message);
  }
}

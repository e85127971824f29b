package io.sluice.autoscaler.decision;

import static io.sluice.autoscaler.decision.PolicyCases.LONG_AGO;
import static io.sluice.autoscaler.decision.PolicyCases.STEADY;
import static io.sluice.autoscaler.decision.PolicyCases.T0;
import static io.sluice.autoscaler.decision.PolicyCases.at;
import static io.sluice.autoscaler.decision.PolicyCases.noData;
import static io.sluice.autoscaler.decision.PolicyCases.observed;
import static io.sluice.autoscaler.decision.PolicyCases.row;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.autoscaler.decision.PolicyCases.Case;
import io.sluice.config.ScalingMetric;
import io.sluice.config.ScalingSpec;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Sluice policy, one behaviour a row. The app is a GPU app as Cerebrium's defaults make it: one request per replica
 * (the hard limit), concurrency target 100 % of it, a 60 s stable window and a 60 s cooldown, and replicas that take
 * 30 s to start.
 */
class SluicePolicyCasesTest {

  private static final Duration STARTUP = Duration.ofSeconds(30);

  private static ScalingSpec gpuApp(int maxReplicas, int buffer) {
    return new ScalingSpec(0, maxReplicas, 1, ScalingMetric.CONCURRENCY_UTILIZATION, 1, 1.0, buffer,
        Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofSeconds(900));
  }

  private static DeciderSpec cerebrium() {
    return DeciderSpec.from(gpuApp(10, 0), STARTUP);
  }

  private static SpecBuilder cerebriumWith() {
    return SpecBuilder.of(cerebrium());
  }

  /** An app that has been at zero for a long time. */
  private static final DeciderState IDLE_AT_ZERO = new DeciderState(Optional.empty(), 0, List.of(), true,
      Optional.empty(), Optional.of(LONG_AGO), Optional.of(LONG_AGO));

  private static DeciderState lastLoadAgo(Duration ago) {
    return STEADY.withLastLoadAt(Optional.of(T0.minus(ago)));
  }

  static Stream<Case> cases() {
    return Stream.of(
        row("three requests held at zero start three replicas at once, one request per replica",
            cerebrium(), IDLE_AT_ZERO,
            at(0, noData(0, 3)).wants(3).ebc(-211).reason("queue: 3 request(s) held, 1 per replica")),
        row("requests held behind busy replicas are already in the measured load and are not counted twice",
            cerebrium(), STEADY,
            at(0, observed(2, 0, 2, 5, 3)).wants(5).reason("load: 5.0 concurrency")),
        row("replicas already starting count for the held requests",
            cerebrium(), IDLE_AT_ZERO,
            at(0, observed(0, 3, 0, 0, 3)).wants(3)),
        row("a burst under Knative's panic threshold is met in the first decision",
            cerebriumWith().replicaStartupTime(Duration.ZERO).build(), STEADY,
            at(0, observed(4, 4, 7)).wants(7).panicking(false).reason("load: 7.0 concurrency")),
        row("a rising load is met on the short window, not extrapolated past it",
            cerebrium(), STEADY,
            at(0, observed(4, 4, 6)).wants(6)),
        row("a falling load is not extrapolated, and the stable window holds the count",
            cerebrium(), STEADY,
            at(0, observed(6, 6, 4)).wants(6)),
        row("the load already there is padded by the target utilization",
            DeciderSpec.from(trussLike(), STARTUP), STEADY,
            at(0, observed(4, 3, 3)).wants(4).reason("at 0.8 per replica")),
        row("the panic window's load is padded by the utilization too",
            DeciderSpec.from(trussLike(), STARTUP), STEADY,
            at(0, observed(4, 2, 3)).wants(4)),
        row("the buffer adds warm replicas while there is load",
            DeciderSpec.from(gpuApp(10, 2), STARTUP), STEADY,
            at(0, observed(3, 3, 3)).wants(5).reason("plus 2 buffer replica(s)")),
        row("an app with no load for a stable window and the cooldown heads to zero and keeps no buffer",
            DeciderSpec.from(gpuApp(10, 2), STARTUP), lastLoadAgo(Duration.ofSeconds(120)),
            at(0, observed(1, 0, 0)).wants(0).reason("toward zero")),
        row("the last replica stays a stable window and the cooldown after the last load, then the delay",
            cerebrium(), IDLE_AT_ZERO,
            at(0, observed(1, 1, 1)).wants(1).then(s -> assertThat(s.lastLoadAt()).contains(T0)),
            at(30, observed(1, 0.5, 0)).wants(1),
            at(118, observed(1, 0.1, 0)).wants(1),
            at(120, observed(1, 0, 0)).wants(1).reason("scale-down delay"),
            at(180, observed(1, 0, 0)).wants(0)),
        row("with no cooldown the last replica waits a stable window and the grace or start-up after the last load",
            cerebriumWith().scaleDownDelay(Duration.ZERO).build(), IDLE_AT_ZERO,
            at(0, observed(1, 1, 1)).wants(1),
            at(20, observed(1, 0, 0)).wants(1).reason("holding 1 replica until 90 s after the last load"),
            at(88, observed(1, 0, 0)).wants(1),
            at(90, observed(1, 0, 0)).wants(0)),
        row("a scale-down waits for the cooldown, then follows the load",
            cerebrium(), STEADY,
            at(0, observed(5, 5, 5)).wants(5),
            at(30, observed(5, 2, 2)).wants(5).reason("scale-down delay: holding 5, the most wanted in the last 1 min"),
            at(62, observed(5, 2, 2)).wants(2)),
        row("no data on a running app keeps its count",
            cerebrium(), STEADY,
            at(0, noData(3, 0)).invalid().reason("no data")),
        row("a new app starts at its initial scale and keeps it a stable window and the cooldown once ready",
            cerebrium(), DeciderState.initial(),
            at(0, noData(0, 0)).wants(1).reason("initial scale: 1 replica(s)"),
            at(40, observed(1, 0, 0)).wants(1).then(s -> assertThat(s.initialized()).isTrue()),
            at(100, observed(1, 0, 0)).wants(1),
            at(130, observed(1, 0, 0)).wants(1),
            at(160, observed(1, 0, 0)).wants(1).reason("scale-down delay"),
            at(222, observed(1, 0, 0)).wants(0)),
        row("max replicas bound the replicas for held requests",
            DeciderSpec.from(gpuApp(3, 0), STARTUP), IDLE_AT_ZERO,
            at(0, noData(0, 10)).wants(3).reason("at max replicas 3")),
        row("with a request-rate metric held requests still need slots at the hard limit",
            DeciderSpec.from(new ScalingSpec(0, 10, 2, ScalingMetric.REQUESTS_PER_SECOND, 10, 1.0, 0,
                Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofSeconds(900)), STARTUP), IDLE_AT_ZERO,
            at(0, noData(0, 5)).wants(3)),
        row("the excess burst capacity is Knative's",
            cerebrium(), STEADY,
            at(0, observed(2, 1, 1)).wants(1).ebc(2 - 211 - 1)),
        row("a resumed decider holds a running app's count for the cooldown before scaling it down",
            cerebrium(), DeciderState.resumed(3, T0),
            at(0, observed(3, 0, 0)).wants(3),
            at(60, observed(3, 0, 0)).wants(1),
            at(62, observed(1, 0, 0)).wants(1),
            at(182, observed(1, 0, 0)).wants(0)));
  }

  /** Truss-like: a concurrency target of one request at 75 % utilization, one request per replica. */
  private static ScalingSpec trussLike() {
    return new ScalingSpec(0, 10, 1, ScalingMetric.CONCURRENCY_UTILIZATION, 1, 0.75, 0, Duration.ofSeconds(60),
        Duration.ofSeconds(60), Duration.ofSeconds(900));
  }

  @ParameterizedTest
  @MethodSource("cases")
  void decides_like_sluice(Case c) {
    PolicyCases.run(c, ScalingPolicy::sluice);
  }
}

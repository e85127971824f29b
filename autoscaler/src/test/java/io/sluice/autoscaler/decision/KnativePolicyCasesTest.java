package io.sluice.autoscaler.decision;

import static io.sluice.autoscaler.decision.PolicyCases.LONG_AGO;
import static io.sluice.autoscaler.decision.PolicyCases.STEADY;
import static io.sluice.autoscaler.decision.PolicyCases.T0;
import static io.sluice.autoscaler.decision.PolicyCases.at;
import static io.sluice.autoscaler.decision.PolicyCases.ebc;
import static io.sluice.autoscaler.decision.PolicyCases.noData;
import static io.sluice.autoscaler.decision.PolicyCases.observed;
import static io.sluice.autoscaler.decision.PolicyCases.row;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.autoscaler.decision.PolicyCases.Case;
import io.sluice.config.ScalingMetric;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Knative Serving's own cases, carried over: each row names the Go test (and its label) it comes from. The autoscaler's
 * are from {@code pkg/autoscaler/scaling/autoscaler_test.go}; the reconciler's from
 * {@code pkg/reconciler/autoscaling/kpa/scaler_test.go} ({@code TestScaler}) and {@code kpa_test.go}
 * ({@code TestReconcile}). "Now" in a Go test is {@link PolicyCases#T0} here; consecutive {@code time.Now()} calls are
 * the same instant.
 */
class KnativePolicyCasesTest {

  private static DeciderSpec knative(double target, double targetBurstCapacity) {
    return SpecBuilder.knativeTest(target, targetBurstCapacity).build();
  }

  private static DeciderState panickingSince(Duration ago, int maxPanicReplicas) {
    return STEADY.withPanic(Optional.of(T0.minus(ago)), maxPanicReplicas);
  }

  static Stream<Case> autoscalerCases() {
    DeciderSpec delay5m = SpecBuilder.knativeTest(10, 0)
        .panicThresholdPercentage(10_000)
        .scaleDownDelay(Duration.ofMinutes(5))
        .build();
    DeciderSpec noDelay = SpecBuilder.knativeTest(10, 0).panicThresholdPercentage(10_000).build();
    DeciderSpec rps = SpecBuilder.knativeTest(10, 101).metric(ScalingMetric.REQUESTS_PER_SECOND).build();
    return Stream.of(
        row("no data at zero load scales to zero (TestAutoscalerScale: AutoscalerNoDataAtZeroNoAutoscale)",
            knative(10, 100), STEADY,
            at(0, observed(1, 0, 0)).wants(0).ebc(ebc(10, 100, 0, 1))),
        row("unlimited burst capacity reports -1 (TestAutoscalerScale: AutoscalerStableModeUnlimitedTBC)",
            knative(181, -1), STEADY,
            at(0, observed(1, 21, 26)).wants(1).ebc(-1)),
        row("zero burst capacity reports 0 (TestAutoscalerScale: Autoscaler0TBC)",
            knative(10, 0), STEADY,
            at(0, observed(1, 50, 49)).wants(5).ebc(0)),
        row("the stable value over the target gives the count (TestAutoscalerScale: AutoscalerStableModeNoChange)",
            knative(10, 100), STEADY,
            at(0, observed(1, 50, 50)).wants(5).ebc(ebc(10, 100, 50, 1))),
        row("while panicking a larger stable value wins (TestAutoscalerScale: AutoscalerPanicStableLargerThanPanic)",
            knative(1, 100), panickingSince(Duration.ofSeconds(5), 5),
            at(0, observed(5, 50, 30)).wants(50).ebc(ebc(1, 100, 30, 5)).panicking(true)),
        row("while panicking a larger panic value wins (TestAutoscalerScale: AutoscalerPanicStableLessThanPanic)",
            knative(1, 100), panickingSince(Duration.ofSeconds(5), 5),
            at(0, observed(5, 20, 30)).wants(30).ebc(ebc(1, 100, 30, 5)).panicking(true)),
        row("a count already right stays (TestAutoscalerScale: AutoscalerStableModeNoChangeAlreadyScaled)",
            knative(10, 100), STEADY,
            at(0, observed(5, 50, 50)).wants(5).ebc(ebc(10, 100, 50, 5)).panicking(false)),
        row("a slow scale-up rate still adds a replica "
            + "(TestAutoscalerScale: AutoscalerStableModeIncreaseWithSmallScaleUpRate)",
            SpecBuilder.knativeTest(1, 1982).maxScaleUpRate(1.1).build(), STEADY,
            at(0, observed(2, 3, 3.1)).wants(3).ebc(ebc(1, 1982, 3.1, 2))),
        row("a slow scale-down rate removes a tenth at most "
            + "(TestAutoscalerScale: AutoscalerStableModeDecreaseWithSmallScaleDownRate)",
            SpecBuilder.knativeTest(10, 1982).maxScaleDownRate(1.1).build(), STEADY,
            at(0, observed(100, 1, 1)).wants(90).ebc(ebc(10, 1982, 1, 100))),
        row("the panic value takes precedence when over the threshold "
            + "(TestAutoscalerScale: AutoscalerPanicModeDoublePodCount)",
            knative(10, 84), STEADY,
            at(0, observed(1, 50, 100)).wants(10).ebc(ebc(10, 84, 100, 1)).panicking(true)
                .reason("panic: 100.0 concurrency over 1 ready replica(s) ≥ 200% of target")),
        row("a scale-down waits for the delay, then follows what was wanted inside it "
            + "(TestAutoscalerScaleDownDelay: simple, then gradual)", delay5m, STEADY,
            at(2, observed(0, 40, 40)).wants(4),
            at(300, observed(0, 0, 0)).wants(4).reason("scale-down delay: holding 4, the most wanted in the last 5 min"),
            at(302, observed(0, 0, 0)).wants(0),
            at(540, observed(0, 40, 40)).wants(4),
            at(600, observed(0, 30, 30)).wants(4),
            at(660, observed(0, 0, 0)).wants(4),
            at(840, observed(0, 0, 0)).wants(3),
            at(900, observed(0, 0, 0)).wants(0)),
        row("with no delay a scale-down applies at once (TestAutoscalerScaleDownDelayZero)", noDelay, STEADY,
            at(0, observed(0, 40, 40)).wants(4),
            at(Duration.ofMillis(500), observed(0, 20, 20)).wants(2)),
        row("no data keeps the current count (TestAutoscalerNoDataNoAutoscale)", knative(10, 100), STEADY,
            at(0, noData(1, 0)).invalid().ebc(0).reason("no data")),
        row("the count and burst capacity from a concurrency of 50 (TestAutoscalerMetrics)",
            knative(10, 100), STEADY,
            at(0, observed(1, 50, 50)).wants(5).ebc(ebc(10, 100, 50, 1)).panicking(true)),
        row("the count and burst capacity from requests per second (TestAutoscalerMetricsWithRPS)",
            SpecBuilder.knativeTest(10, 100).metric(ScalingMetric.REQUESTS_PER_SECOND).build(), STEADY,
            at(61, observed(1, 100, 99)).wants(10).ebc(ebc(10, 100, 99, 1)).panicking(true)
                .reason("requests/s")),
        row("the stable value rising scales up without panic (TestAutoscalerStableModeIncreaseWithConcurrencyDefault)",
            knative(10, 101), STEADY,
            at(0, observed(1, 50, 10)).wants(5).ebc(ebc(10, 101, 10, 1)).panicking(false),
            at(0, observed(1, 100, 10)).wants(10).ebc(ebc(10, 101, 10, 1)).panicking(false)),
        row("requests per second rising scales up (TestAutoscalerStableModeIncreaseWithRPS)", rps, STEADY,
            at(0, observed(1, 50, 50)).wants(5).ebc(ebc(10, 101, 50, 1)),
            at(0, observed(1, 100, 99)).wants(10).ebc(ebc(10, 101, 99, 1))),
        row("panic ends a stable window after the last decision over the threshold "
            + "(TestAutoscalerUnpanicAfterSlowIncrease)", knative(1, 98), STEADY,
            at(0, observed(10, 11, 25)).wants(25).ebc(ebc(1, 98, 25, 10))
                .then(s -> assertThat(s.lastPanicAt()).contains(T0)),
            at(30, observed(40, 30, 41)).wants(41).ebc(ebc(1, 98, 41, 40))
                .then(s -> assertThat(s.lastPanicAt()).as("panic time should not move").contains(T0)),
            at(62, observed(55, 50, 56)).wants(50).ebc(ebc(1, 98, 56, 55)).panicking(false)
                .then(s -> assertThat(s.lastPanicAt()).isEmpty())),
        row("staying over the threshold extends panic (TestAutoscalerExtendPanicWindow)", knative(1, 98), STEADY,
            at(0, observed(10, 11, 25)).wants(25).ebc(ebc(1, 98, 25, 10)),
            at(30, observed(40, 30, 80)).wants(80).ebc(ebc(1, 98, 80, 40))
                .then(s -> assertThat(s.lastPanicAt()).contains(T0.plusSeconds(30)))),
        row("the stable value falling scales down (TestAutoscalerStableModeDecrease)", knative(10, 98), STEADY,
            at(0, observed(8, 100, 100)).wants(10).ebc(ebc(10, 98, 100, 8)),
            at(0, observed(8, 50, 50)).wants(5).ebc(ebc(10, 98, 50, 8))),
        row("no traffic scales to zero (TestAutoscalerStableModeNoTrafficScaleToZero)", knative(10, 75), STEADY,
            at(0, observed(1, 1, 0)).wants(1).ebc(ebc(10, 75, 0, 1)),
            at(0, observed(1, 0, 0)).wants(0).ebc(ebc(10, 75, 0, 1))),
        row("panic tracks an exponential rise and holds when it stabilizes "
            + "(TestAutoscalerPanicModeExponentialTrackAndStabilize)", knative(1, 101), STEADY,
            at(0, observed(1, 6, 6)).wants(6).ebc(ebc(1, 101, 6, 1)),
            at(0, observed(6, 36, 36)).wants(36).ebc(ebc(1, 101, 36, 6))
                .then(s -> assertThat(s.lastPanicAt()).contains(T0)),
            at(1, observed(36, 216, 216)).wants(216).ebc(ebc(1, 101, 216, 36))
                .then(s -> assertThat(s.lastPanicAt()).contains(T0.plusSeconds(1))),
            at(1, observed(216, 1296, 1296)).wants(1296).ebc(ebc(1, 101, 1296, 216)),
            at(2, observed(1296, 1296, 1296)).wants(1296).ebc(ebc(1, 101, 1296, 1296))),
        row("no scale-down while panicking, then down after a stable window (TestAutoscalerPanicThenUnPanicScaleDown)",
            knative(10, 93), STEADY,
            at(0, observed(1, 100, 100)).wants(10).ebc(ebc(10, 93, 100, 1)),
            at(0, observed(10, 100, 1000)).wants(100).ebc(ebc(10, 93, 1000, 10)),
            at(30, observed(10, 1, 1)).wants(100).ebc(ebc(10, 93, 1, 10)).panicking(true)
                .reason("panic: holding 100 replica(s)"),
            at(61, observed(10, 1, 1)).wants(1).ebc(ebc(10, 93, 1, 10)).panicking(false)),
        row("scale-up is limited to ten times the ready replicas (TestAutoscalerRateLimitScaleUp)", knative(10, 61),
            STEADY,
            at(0, observed(1, 1000, 1001)).wants(10).ebc(ebc(10, 61, 1001, 1)),
            at(0, observed(10, 1000, 1001)).wants(100).ebc(ebc(10, 61, 1001, 10))),
        row("scale-down is limited to a tenth of the ready replicas (TestAutoscalerRateLimitScaleDown)",
            knative(10, 61), STEADY,
            at(0, observed(100, 1, 1)).wants(10).ebc(ebc(10, 61, 1, 100)),
            at(0, observed(10, 1, 1)).wants(1).ebc(ebc(10, 61, 1, 10))),
        row("no replica ready counts as one for the rates (TestAutoscalerUseOnePodAsMinimumIfEndpointsNotFound)",
            knative(10, 81), STEADY,
            at(0, observed(0, 1000, 888)).wants(10).ebc(ebc(10, 81, 888, 0))),
        row("a new target applies from the next decision (TestAutoscalerUpdateTarget)", knative(10, 77), STEADY,
            at(0, observed(1, 100, 101)).wants(10).ebc(ebc(10, 77, 101, 1)),
            at(0, observed(10, 100, 101)).spec(knative(1, 71)).wants(100).ebc(ebc(1, 71, 101, 10))));
  }

  @ParameterizedTest
  @MethodSource("autoscalerCases")
  void decides_like_knatives_autoscaler(Case c) {
    PolicyCases.run(c, ScalingPolicy::knative);
  }

  /** Knative's defaults with no burst capacity, so the hold queue is in the path only when the app goes inactive. */
  private static SpecBuilder reconciler() {
    return SpecBuilder.of(DeciderSpec.knativeDefaults()).targetBurstCapacity(0);
  }

  private static DeciderState activeFor(Duration time) {
    return new DeciderState(Optional.empty(), 0, List.of(), true, Optional.of(T0.minus(time)), Optional.empty(),
        Optional.of(LONG_AGO));
  }

  private static DeciderState inactiveWithHoldQueueInPathFor(Duration time) {
    return new DeciderState(Optional.empty(), 0, List.of(), true, Optional.empty(), Optional.of(T0.minus(time)),
        Optional.of(LONG_AGO));
  }

  static Stream<Case> reconcilerCases() {
    Duration justUnderStableWindow = Duration.ofSeconds(59);
    Duration stableWindow = Duration.ofSeconds(60);
    Duration grace = Duration.ofSeconds(30);
    Duration justUnderGrace = Duration.ofSeconds(29);
    DeciderState neverInPath = new DeciderState(Optional.empty(), 0, List.of(), true, Optional.of(LONG_AGO),
        Optional.empty(), Optional.of(LONG_AGO));
    return Stream.of(
        row("one replica stays until the app has been active for a stable window "
            + "(TestScaler: waits to scale to zero (just before idle period))", reconciler().build(),
            activeFor(justUnderStableWindow),
            at(0, observed(1, 0, 0)).wants(1).reason("holding 1 replica until active for the stable window (1 min)")
                .then(s -> assertThat(s.activeSince()).contains(T0.minus(justUnderStableWindow)))),
        row("many replicas go down to one while the app is not yet idle for long enough "
            + "(TestScaler: scale to 1 waiting for idle expires)", reconciler().maxScaleDownRate(1000).build(),
            activeFor(justUnderStableWindow),
            at(0, observed(10, 0, 0)).wants(1)),
        row("an app idle after a stable window goes inactive and waits for the grace "
            + "(TestScaler: waits to scale to zero after idle period)", reconciler().build(), activeFor(stableWindow),
            at(0, observed(1, 0, 0)).wants(1).reason("waiting for the 30 s scale-to-zero grace: holding 1 replica")
                .then(s -> {
                  assertThat(s.activeSince()).isEmpty();
                  assertThat(s.holdQueueInPathSince()).contains(T0);
                })),
        row("the last replica goes once the hold queue has been in the path for the grace "
            + "(TestScaler: scale to zero after grace period)", reconciler().build(),
            inactiveWithHoldQueueInPathFor(grace),
            at(0, observed(1, 0, 0)).wants(0).reason("scale to zero after 30 s grace")),
        row("the last replica stays a second before the grace ends "
            + "(TestScaler: waits to scale to zero (just before grace period))", reconciler().build(),
            inactiveWithHoldQueueInPathFor(justUnderGrace),
            at(0, observed(1, 0, 0)).wants(1)),
        row("a hold queue in the path since before the app went idle takes the last replica at once "
            + "(TestScaler: waits to scale to zero (just before grace period, sks in proxy long))",
            reconciler().targetBurstCapacity(211).build(),
            new DeciderState(Optional.empty(), 0, List.of(), true, Optional.of(LONG_AGO),
                Optional.of(T0.minus(Duration.ofMinutes(5))), Optional.of(LONG_AGO)),
            at(0, observed(1, 0, 0)).wants(0)),
        row("min replicas bound the count before the grace "
            + "(TestScaler: scale down to minScale before grace period)",
            reconciler().minReplicas(2).maxScaleDownRate(1000).build(), inactiveWithHoldQueueInPathFor(justUnderGrace),
            at(0, observed(10, 0, 0)).wants(2).reason("at min replicas 2")),
        row("min replicas bound the count after the grace (TestScaler: scale down to minScale after grace period)",
            reconciler().minReplicas(2).maxScaleDownRate(1000).build(), inactiveWithHoldQueueInPathFor(grace),
            at(0, observed(10, 0, 0)).wants(2)),
        row("load scales up (TestScaler: scales up)", reconciler().build(), STEADY,
            at(0, observed(1, 700, 700)).wants(10)),
        row("max replicas bound a scale-up (TestScaler: scales up to maxScale)",
            reconciler().maxReplicas(8).build(), STEADY,
            at(0, observed(1, 700, 700)).wants(8).reason("at max replicas 8")),
        row("an inactive app with load scales up and is active again (TestScaler: scale up inactive revision)",
            reconciler().build(), inactiveWithHoldQueueInPathFor(Duration.ofSeconds(15)),
            at(0, observed(1, 700, 700)).wants(10)
                .then(s -> assertThat(s.activeSince()).contains(T0))),
        row("no data at zero does not scale (TestScaler: does not scale up from zero with no metrics)",
            reconciler().build(), inactiveWithHoldQueueInPathFor(Duration.ZERO),
            at(0, noData(0, 0)).invalid()),
        row("load at zero scales to one (TestScaler: scales up from zero to desired one)", reconciler().build(),
            inactiveWithHoldQueueInPathFor(Duration.ofMinutes(10)),
            at(0, observed(0, 70, 70)).wants(1)),
        row("heavy load at zero scales straight to its count "
            + "(TestScaler: scales up from zero to desired high scale)", reconciler().build(),
            inactiveWithHoldQueueInPathFor(Duration.ofMinutes(10)),
            at(0, observed(0, 700, 700)).wants(10)),
        row("no decision keeps a running app as it is (TestScaler: negative scale does not scale)",
            reconciler().build(), activeFor(Duration.ZERO),
            at(0, noData(12, 0)).invalid()),
        row("a new app starts at the initial scale before any data "
            + "(revision TestReconcile: initial scale unset so using cluster default init scale)",
            reconciler().build(), DeciderState.initial(),
            at(0, noData(0, 0)).wants(1).reason("initial scale: 1 replica(s)")),
        row("the initial scale is a floor until reached "
            + "(kpa TestReconcile: initial scale > minScale, have not reached initial scale, PA still activating)",
            reconciler().minReplicas(11).initialScale(20).build(), DeciderState.initial(),
            at(0, observed(11, 770, 770)).wants(20).then(s -> assertThat(s.initialized()).isFalse())),
        row("reaching the initial scale lifts the floor from the next decision "
            + "(kpa TestReconcile: initial scale reached, mark PA as active)",
            reconciler().initialScale(20).build(), DeciderState.initial(),
            at(0, observed(20, 770, 770)).wants(20).then(s -> {
              assertThat(s.initialized()).isTrue();
              assertThat(s.activeSince()).contains(T0);
            }),
            at(2, observed(20, 770, 770)).wants(11)),
        row("an initial scale of zero stays at zero (kpa TestReconcile: initial scale zero: stay at zero)",
            reconciler().initialScale(0).build(), DeciderState.initial(),
            at(0, noData(0, 0)).wants(0)),
        row("an initial scale of zero scales up with load "
            + "(kpa TestReconcile: initial scale zero: scale to greater than zero)",
            reconciler().initialScale(0).build(), DeciderState.initial(),
            at(0, observed(2, 140, 140)).wants(2)),
        row("a request held at zero wants a replica before its load reaches a window (the activator's poke)",
            reconciler().build(), inactiveWithHoldQueueInPathFor(Duration.ofMinutes(10)),
            at(0, noData(0, 1)).wants(1).reason("activation: 1 request(s) held at zero")),
        row("requests held at zero want one replica, however many are held (Knative does not size by the queue)",
            reconciler().build(), inactiveWithHoldQueueInPathFor(Duration.ofMinutes(10)),
            at(0, observed(0, 0, 0, 0, 5)).wants(1)),
        row("with the default burst capacity the last replica goes as soon as the app is idle for a stable window",
            DeciderSpec.knativeDefaults(), neverInPath,
            at(0, observed(1, 10, 10)).wants(1).ebc(100 - 211 - 10)
                .then(s -> assertThat(s.holdQueueInPathSince()).contains(T0)),
            at(60, observed(1, 0, 0)).wants(0).reason("scale to zero after 30 s grace")),
        row("with no burst capacity the last replica stays for the grace after the app goes idle",
            reconciler().build(), neverInPath,
            at(0, observed(1, 10, 10)).wants(1).ebc(0)
                .then(s -> assertThat(s.holdQueueInPathSince()).isEmpty()),
            at(60, observed(1, 0, 0)).wants(1),
            at(88, observed(1, 0, 0)).wants(1),
            at(90, observed(1, 0, 0)).wants(0)),
        row("load coming back during the grace keeps the replica and restarts the stable window",
            reconciler().build(), neverInPath,
            at(60, observed(1, 0, 0)).wants(1),
            at(70, observed(1, 5, 5)).wants(1).then(s -> {
              assertThat(s.activeSince()).contains(T0.plusSeconds(70));
              assertThat(s.holdQueueInPathSince()).isEmpty();
            }),
            at(100, observed(1, 0, 0)).wants(1).reason("until active for the stable window"),
            at(130, observed(1, 0, 0)).wants(1).reason("grace"),
            at(160, observed(1, 0, 0)).wants(0)));
  }

  @ParameterizedTest
  @MethodSource("reconcilerCases")
  void scales_to_zero_and_from_it_like_knatives_reconciler(Case c) {
    PolicyCases.run(c, ScalingPolicy::knative);
  }
}

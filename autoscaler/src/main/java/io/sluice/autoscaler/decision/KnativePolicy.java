package io.sluice.autoscaler.decision;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Knative Serving's KPA, in two steps as Knative splits it: its autoscaler's {@code Scale} ({@code
 * pkg/autoscaler/scaling}) turns the stable and panic values into a count — target per replica, panic mode, scale-up
 * and scale-down rates, scale-down delay, excess burst capacity — and its KPA reconciler ({@code
 * pkg/reconciler/autoscaling/kpa}) applies min, max and initial scale and decides when the last replica may go.
 *
 * <p>Where this differs from Knative, and why:
 *
 * <ul>
 *   <li>Activation. Knative's activator reports the requests it holds as concurrency and pokes the autoscaler, so a
 *       request at zero becomes a count of at least one. Here a request held at zero ({@code queueDepth > 0} with no
 *       replica ready) wants at least one replica directly, even before its load reaches a window.
 *   <li>Initial scale. Knative creates the Deployment at the initial scale before its autoscaler has data; here the
 *       first decisions of a new app return the initial scale (valid) while there is no data, and keep it as a floor
 *       until the app first has it ready, as the reconciler does.
 *   <li>Scale to zero. Knative removes the last replica after the PA has been active for a stable window, and once
 *       its activator has been in the path for the grace period ({@code ProxyFor} or inactive for that long); the
 *       hold queue stands in for the activator ({@link DeciderState#holdQueueInPathSince()}). With the default burst
 *       capacity the queue is already in the path at small scale, so, as in Knative, the last replica goes at the first
 *       decision that wants zero once the app has been active for a stable window. The grace period may be 0 here
 *       (Knative requires it positive), which is how the autoscaler's own cases are checked.
 *   <li>Not carried over: {@code Reachable} (Sluice has no revisions: every app is reachable), {@code
 *       activation-scale}, {@code scale-to-zero-pod-retention-period}, the activation timeout, the number of
 *       activators, the rounding of window averages to six decimals, and a spec changed between decisions (make a new
 *       policy with the new spec and pass it the same state).
 * </ul>
 */
final class KnativePolicy implements ScalingPolicy {

  private final DeciderSpec spec;

  KnativePolicy(DeciderSpec spec) {
    this.spec = Objects.requireNonNull(spec, "spec");
  }

  @Override
  public String name() {
    return "knative";
  }

  @Override
  public Decision decide(DeciderState state, ScalingInputs inputs, Instant now) {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(inputs, "inputs");
    Objects.requireNonNull(now, "now");
    int ready = inputs.readyReplicas();
    boolean heldAtZero = inputs.queueDepth() > 0 && ready == 0;

    Scaled scaled;
    if (inputs.stableValue().isPresent()) {
      scaled = scale(state, inputs, now);
    } else if (heldAtZero || !state.initialized()) {
      scaled = new Scaled(0, BurstCapacity.excess(spec, ready, 0), Reasons.NO_DATA, state);
    } else {
      ScaleDecision keep = new ScaleDecision(inputs.currentReplicas(), 0, false, state.panicking(), Reasons.NO_DATA);
      return new Decision(keep, state);
    }

    int wanted = scaled.replicas;
    String reason = scaled.reason;
    if (heldAtZero && wanted < 1) {
      wanted = 1;
      reason = "activation: " + inputs.queueDepth() + " request(s) held at zero";
    }
    int bounded = ReplicaBounds.apply(spec, state, wanted);
    reason = ReplicaBounds.reason(spec, state, wanted, bounded, reason);
    return toZeroOrNot(state, scaled.next, inputs, now, bounded, reason, scaled.excessBurstCapacity);
  }

  /** Knative's autoscaler {@code Scale}: the count from the stable and panic values. */
  private Scaled scale(DeciderState state, ScalingInputs inputs, Instant now) {
    int ready = inputs.readyReplicas();
    double stable = inputs.stableValue().getAsDouble();
    // Knative's panic window has its own buckets and averages to 0 when they are empty; so does this.
    double panic = inputs.panicValue().orElse(0);
    double target = spec.targetPerReplica();
    // With no replica ready, rates are taken from one, so that a scale from zero is not stuck at zero.
    double readyForRates = Math.max(1, ready);
    // The ceiling lets a slow scale-up rate still add a replica (1.1 × 2 ready = 2.2 → 3).
    double maxUp = Math.ceil(spec.maxScaleUpRate() * readyForRates);
    double maxDown = Math.floor(readyForRates / spec.maxScaleDownRate());
    double stableWants = Math.ceil(stable / target);
    double panicWants = Math.ceil(panic / target);
    int stableCount = BurstCapacity.saturate(Math.min(Math.max(stableWants, maxDown), maxUp));
    int panicCount = BurstCapacity.saturate(Math.min(Math.max(panicWants, maxDown), maxUp));
    boolean overThreshold = panicWants / readyForRates >= spec.panicThreshold();

    Optional<Instant> lastPanicAt = state.lastPanicAt();
    int maxPanic = state.maxPanicReplicas();
    if (overThreshold) {
      // Entering panic, or still over the threshold: panic lasts a stable window from now.
      lastPanicAt = Optional.of(now);
    } else if (lastPanicAt.isPresent() && lastPanicAt.get().plus(spec.stableWindow()).isBefore(now)) {
      // A stable window without panic: the surge has made its way into the stable value.
      lastPanicAt = Optional.empty();
      maxPanic = 0;
    }

    int replicas = stableCount;
    String unit = Reasons.unit(spec.metric());
    String reason = "stable: " + Reasons.number(stable) + " " + unit + " at " + Reasons.number(target)
        + " per replica wants " + BurstCapacity.saturate(stableWants);
    if (stableCount > stableWants) {
      reason += "; the scale-down rate keeps " + stableCount + " of " + ready + " ready";
    } else if (stableCount < stableWants) {
      reason += "; the scale-up rate allows " + stableCount + " from " + ready + " ready";
    }
    if (lastPanicAt.isPresent()) {
      // The stable value can be the larger (a surge that the panic window already left); provision for both.
      replicas = Math.max(stableCount, panicCount);
      if (overThreshold) {
        reason = "panic: " + Reasons.number(panic) + " " + unit + " over " + ready + " ready replica(s) ≥ "
            + Reasons.percent(spec.panicThresholdPercentage()) + " of target";
      }
      // No scale-down while panicking.
      if (replicas < maxPanic && !overThreshold) {
        reason = "panic: holding " + maxPanic + " replica(s) until a stable window passes without panic";
      }
      maxPanic = Math.max(maxPanic, replicas);
      replicas = maxPanic;
    }
    DeciderState next = state.withPanic(lastPanicAt, maxPanic);

    // Only with a delay: a one-slot window is not the same as none when two decisions share a slot.
    if (spec.scaleDownDelay().compareTo(Duration.ZERO) > 0) {
      List<DeciderState.DesiredAt> window =
          ScaleDownDelayWindow.record(state.scaleDownDelayWindow(), spec.scaleDownDelay(), now, replicas);
      int delayed = ScaleDownDelayWindow.highest(window);
      if (delayed != replicas) {
        reason = "scale-down delay: holding " + delayed + ", the most wanted in the last "
            + Reasons.duration(spec.scaleDownDelay());
        replicas = delayed;
      }
      next = next.withScaleDownDelayWindow(window);
    }
    return new Scaled(replicas, BurstCapacity.excess(spec, ready, panic), reason, next);
  }

  /**
   * Knative's KPA reconciler around the count: the app stays active, and keeps one replica, for a stable window after
   * it became active; then it goes inactive, the hold queue takes the path, and the last replica goes once the queue
   * has been in the path for the grace period.
   */
  private Decision toZeroOrNot(DeciderState state, DeciderState next, ScalingInputs inputs, Instant now, int bounded,
      String reason, int excessBurstCapacity) {
    int ready = inputs.readyReplicas();
    int replicas = bounded;
    boolean inactive;
    Optional<Instant> activeSince;
    if (bounded > 0) {
      inactive = false;
      int readyToBeActive = ReplicaBounds.readyToBeActive(spec, state);
      activeSince = readyToBeActive > 0 && ready >= readyToBeActive
          ? Optional.of(state.activeSince().orElse(now))
          : Optional.empty();
    } else if (inputs.currentReplicas() == 0) {
      inactive = true;
      activeSince = Optional.empty();
    } else if (state.activeSince().isPresent()
        && Duration.between(state.activeSince().get(), now).compareTo(spec.stableWindow()) < 0) {
      inactive = false;
      activeSince = state.activeSince();
      replicas = 1;
      reason = "holding 1 replica until active for the stable window (" + Reasons.duration(spec.stableWindow()) + ")";
    } else {
      inactive = true;
      activeSince = Optional.empty();
      Instant inPathSince = state.holdQueueInPathSince().orElse(now);
      Duration grace = spec.scaleToZeroGracePeriod();
      if (Duration.between(inPathSince, now).compareTo(grace) >= 0) {
        reason = "scale to zero after " + Reasons.duration(grace) + " grace";
      } else {
        replicas = 1;
        reason = "waiting for the " + Reasons.duration(grace) + " scale-to-zero grace: holding 1 replica";
      }
    }
    boolean inPath = replicas == 0 || inactive || excessBurstCapacity < 0;
    DeciderState after = next
        .withInitialized(ReplicaBounds.initializedWith(spec, state, ready))
        .withActiveSince(activeSince)
        .withHoldQueueInPathSince(inPath ? Optional.of(state.holdQueueInPathSince().orElse(now)) : Optional.empty());
    ScaleDecision result = new ScaleDecision(replicas, excessBurstCapacity, true, after.panicking(), reason);
    return new Decision(result, after);
  }

  /** The autoscaler step's count, burst capacity, reason and state. */
  private record Scaled(int replicas, int excessBurstCapacity, String reason, DeciderState next) {}

  @Override
  public String toString() {
    return "KnativePolicy{" + spec + "}";
  }
}

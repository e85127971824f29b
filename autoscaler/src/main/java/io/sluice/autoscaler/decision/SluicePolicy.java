package io.sluice.autoscaler.decision;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Sluice's default policy: the same inputs as Knative's, plus what Knative does not look at — the requests held in the
 * hold queue, how long a replica takes to start, and the warm buffer the user asked for. It aims at fewer cold-start
 * waits for fewer GPU-seconds, and the simulator ({@code sluice simulate}) measures it against Knative on the public
 * Azure LLM traces (see the README for the figures).
 *
 * <p>How it differs from {@linkplain ScalingPolicy#knative Knative's KPA}, and why:
 *
 * <ul>
 *   <li><b>Held requests wake an app at once, at their size.</b> Requests held while no replica is ready need slots:
 *       the app wants enough replicas for them at the hard limit in the first decision (three requests held at zero,
 *       one per replica, start three), where Knative starts one and waits for the averages. Once replicas are ready,
 *       held requests are already in the measured concurrency (it counts from arrival), so they are not counted again.
 *   <li><b>No panic mode.</b> The count follows the larger of the panic-window and stable-window values every decision,
 *       so a burst needs no 200 % threshold to be met; scale-down is held back by the scale-down delay instead of by a
 *       stable window of panic.
 *   <li><b>Warm capacity fades rather than vanishes.</b> As in Knative, the rate limit applies before the scale-down
 *       delay, so after a burst the count falls by halves, one delay apart. The last replica stays until the app has
 *       had no load for a stable window plus the longest of the cooldown, the grace period and the replica's own
 *       start-up time — a replica idle for less than it takes to start one is cheaper kept than restarted — and then
 *       steps down through the same delay.
 *   <li><b>The buffer.</b> While the app has load, {@code buffer} warm replicas are kept on top of what the load needs
 *       (Cerebrium's {@code scaling_buffer}); an idle app still goes to zero.
 *   <li>Unchanged from Knative: targets, the scale-up and scale-down rates, the scale-down delay window, initial scale,
 *       min and max, and the excess burst capacity (so the hold queue leaves the path on the same terms).
 * </ul>
 *
 * <p>An earlier version also scaled ahead of a rising load by its trend times the start-up time, counted held
 * requests on top of ready replicas, and dropped the last replica a cooldown after the last load; on the simulator
 * each of these cost GPU-seconds or cold starts against Knative, and they were taken out.
 */
final class SluicePolicy implements ScalingPolicy {

  private final DeciderSpec spec;

  SluicePolicy(DeciderSpec spec) {
    this.spec = Objects.requireNonNull(spec, "spec");
  }

  @Override
  public String name() {
    return "sluice";
  }

  @Override
  public Decision decide(DeciderState state, ScalingInputs inputs, Instant now) {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(inputs, "inputs");
    Objects.requireNonNull(now, "now");
    int ready = inputs.readyReplicas();
    int queue = inputs.queueDepth();
    if (inputs.stableValue().isEmpty() && queue == 0 && state.initialized()) {
      ScaleDecision keep = new ScaleDecision(inputs.currentReplicas(), 0, false, false, Reasons.NO_DATA);
      return new Decision(keep, state);
    }
    // The panic window has no data when nothing was measured in it: nothing was in flight.
    double recent = inputs.panicValue().orElse(0);
    boolean initializedNow = !state.initialized() && ReplicaBounds.initializedWith(spec, state, ready);
    // Reaching the initial scale counts as load, so that the replicas just started are not stopped at once.
    Optional<Instant> lastLoadAt = recent > 0 || queue > 0 || initializedNow ? Optional.of(now) : state.lastLoadAt();

    Wanted wanted = inputs.stableValue().isEmpty() && queue == 0
        ? new Wanted(0, Reasons.NO_DATA)
        : wanted(inputs, recent);
    int replicas = wanted.replicas;
    String reason = wanted.reason;
    if (replicas > 0 && spec.buffer() > 0) {
      replicas += spec.buffer();
      reason += ", plus " + spec.buffer() + " buffer replica(s)";
    }

    // The last replica stays until the app has had no load for the longer of the scale-down delay and the grace
    // period; it then goes through the rate limit and the delay like every other step down.
    Duration idleLimit = spec.stableWindow().plus(
        max(max(spec.scaleDownDelay(), spec.scaleToZeroGracePeriod()), spec.replicaStartupTime()));
    boolean idle = queue == 0
        && lastLoadAt.map(at -> Duration.between(at, now).compareTo(idleLimit) >= 0).orElse(true);
    if (replicas == 0 && inputs.currentReplicas() > 0 && !idle) {
      replicas = 1;
      reason = "holding 1 replica until " + Reasons.duration(idleLimit) + " after the last load";
    } else if (replicas == 0 && inputs.currentReplicas() > 0) {
      reason = "no load for " + Reasons.duration(idleLimit) + ": toward zero";
    }

    // As Knative does, the rates apply before the scale-down delay, which so records (and holds) rate-limited
    // counts: after a burst the count falls by halves, one delay apart, so warm capacity fades rather than vanishes
    // between bursts.
    double readyForRates = Math.max(1, ready);
    int maxUp = BurstCapacity.saturate(Math.ceil(spec.maxScaleUpRate() * readyForRates));
    int maxDown = BurstCapacity.saturate(Math.floor(readyForRates / spec.maxScaleDownRate()));
    if (replicas > maxUp) {
      reason = "scale-up rate: at most " + maxUp + " replica(s) from " + ready + " ready (" + reason + ")";
      replicas = maxUp;
    } else if (replicas < maxDown) {
      reason = "scale-down rate: at least " + maxDown + " replica(s) from " + ready + " ready (" + reason + ")";
      replicas = maxDown;
    }

    DeciderState next = state;
    if (spec.scaleDownDelay().compareTo(Duration.ZERO) > 0) {
      List<DeciderState.DesiredAt> window =
          ScaleDownDelayWindow.record(state.scaleDownDelayWindow(), spec.scaleDownDelay(), now, replicas);
      int delayed = ScaleDownDelayWindow.highest(window);
      if (delayed > replicas) {
        reason = "scale-down delay: holding " + delayed + ", the most wanted in the last "
            + Reasons.duration(spec.scaleDownDelay());
        replicas = delayed;
      }
      next = next.withScaleDownDelayWindow(window);
    }

    int bounded = ReplicaBounds.apply(spec, state, replicas);
    reason = ReplicaBounds.reason(spec, state, replicas, bounded, reason);
    next = next
        .withInitialized(state.initialized() || initializedNow)
        .withLastLoadAt(lastLoadAt);
    ScaleDecision result =
        new ScaleDecision(bounded, BurstCapacity.excess(spec, ready, recent), true, false, reason);
    return new Decision(result, next);
  }

  /** The replicas the load and the requests held at zero need, before buffer, delay and bounds. */
  private Wanted wanted(ScalingInputs inputs, double recent) {
    double stable = inputs.stableValue().orElse(0);
    double target = spec.targetPerReplica();
    String unit = Reasons.unit(spec.metric());

    double load = Math.max(recent, stable);
    int forLoad = BurstCapacity.saturate(Math.ceil(load / target));
    Wanted wanted = new Wanted(forLoad,
        "load: " + Reasons.number(load) + " " + unit + " at " + Reasons.number(target) + " per replica wants " + forLoad);

    int queue = inputs.queueDepth();
    if (queue > 0 && inputs.readyReplicas() == 0) {
      // Held while nothing is ready: they are not in any window yet. A held request needs a slot: the hard limit, or with no limit what a replica can carry in all.
      int perReplica = spec.hardLimit() > 0 ? spec.hardLimit() : Math.max(1, (int) Math.floor(spec.totalPerReplica()));
      int forQueue = BurstCapacity.saturate(Math.ceil((double) queue / perReplica));
      if (forQueue > wanted.replicas) {
        wanted = new Wanted(forQueue, "queue: " + queue + " request(s) held, " + perReplica + " per replica, want "
            + forQueue);
      }
    }
    return wanted;
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  /** A count and why. */
  private record Wanted(int replicas, String reason) {}

  @Override
  public String toString() {
    return "SluicePolicy{" + spec + "}";
  }
}

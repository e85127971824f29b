package io.sluice.autoscaler.decision;

import io.sluice.config.ScalingMetric;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Sluice's default policy: the same inputs as Knative's, plus what Knative does not look at — the requests held in the
 * hold queue, how long a replica takes to start, and the warm buffer the user asked for. It aims at fewer cold-start
 * waits for fewer GPU-seconds; the simulator measures whether it gets there.
 *
 * <p>How it differs from {@linkplain ScalingPolicy#knative Knative's KPA}, and why:
 *
 * <ul>
 *   <li><b>Held requests are demand, counted at once.</b> A request in the hold queue means every ready replica is at
 *       its hard limit (the node holds only then) or none is ready. So the count is at least the ready replicas plus
 *       enough for the held requests at the hard limit: three requests held at zero with one request per replica
 *       start three replicas in the first decision, as Cerebrium documents. Knative starts from one replica and waits
 *       for the averages to catch up, a tick or a panic window later; every second of that is a cold-start wait.
 *   <li><b>No panic mode.</b> The count follows the larger of the panic-window and stable-window values every decision,
 *       so a burst needs no 200 % threshold to be answered; scale-down is held back by the scale-down delay instead of
 *       by a stable window of panic that keeps the burst's peak running.
 *   <li><b>Ahead of the start-up time.</b> When the short window is above the long one, the load is rising; the count
 *       covers the demand expected by the time a replica started now is ready: the recent value plus the trend between
 *       the two windows' midpoints times {@code replicaStartupTime}, at most doubling it. Demand that is only expected,
 *       or that is waiting, is counted at the hard limit (the slots it needs), never padded again by the target
 *       utilization — only the load already there is.
 *   <li><b>The buffer.</b> While the app has load, {@code buffer} warm replicas are kept on top of what the load needs
 *       (Cerebrium's {@code scaling_buffer}); an idle app still goes to zero — {@code minReplicas} is the way to keep
 *       replicas warm for ever.
 *   <li><b>Idle is measured once.</b> Knative's last replica goes only after the stable average has fallen to zero (a
 *       whole stable window after the last request), then the scale-down delay, then its grace: the delays add up.
 *       Here the last replica goes when there has been no load — nothing in flight in the panic window and nothing
 *       held — for the longer of the scale-down delay and the grace period, counted from the last load. With
 *       Cerebrium's defaults that is 60 s of idle replica per quiet spell instead of 120 s.
 *   <li>Unchanged from Knative: targets, the scale-up and scale-down rates, the scale-down delay window, initial scale,
 *       min and max, and the excess burst capacity (so the hold queue leaves the path on the same terms).
 * </ul>
 *
 * <p>Scale-down never goes below what the requests in flight need: the delay keeps the highest count wanted over the
 * scale-down delay, and every count wanted covers the recent load.
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

    Duration idleLimit = max(spec.scaleDownDelay(), spec.scaleToZeroGracePeriod());
    boolean idle = queue == 0
        && lastLoadAt.map(at -> Duration.between(at, now).compareTo(idleLimit) >= 0).orElse(true);
    if (idle) {
      if (replicas > 0 || inputs.currentReplicas() > 0) {
        reason = "no load for " + Reasons.duration(idleLimit) + ": scale to zero";
      }
      replicas = 0;
    } else if (replicas == 0 && inputs.currentReplicas() > 0) {
      replicas = 1;
      reason = "holding 1 replica until " + Reasons.duration(idleLimit) + " after the last load";
    }

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

    int bounded = ReplicaBounds.apply(spec, state, replicas);
    reason = ReplicaBounds.reason(spec, state, replicas, bounded, reason);
    next = next
        .withInitialized(state.initialized() || initializedNow)
        .withLastLoadAt(lastLoadAt);
    ScaleDecision result =
        new ScaleDecision(bounded, BurstCapacity.excess(spec, ready, recent), true, false, reason);
    return new Decision(result, next);
  }

  /** The replicas the load, the expected load and the held requests need, before buffer, delay and bounds. */
  private Wanted wanted(ScalingInputs inputs, double recent) {
    double stable = inputs.stableValue().orElse(0);
    double target = spec.targetPerReplica();
    String unit = Reasons.unit(spec.metric());

    double load = Math.max(recent, stable);
    int forLoad = BurstCapacity.saturate(Math.ceil(load / target));
    Wanted wanted = new Wanted(forLoad,
        "load: " + Reasons.number(load) + " " + unit + " at " + Reasons.number(target) + " per replica wants " + forLoad);

    double expected = recent + growthDuringStartup(recent, stable);
    int forExpected = BurstCapacity.saturate(Math.ceil(expected / slotsPerReplica()));
    if (forExpected > wanted.replicas) {
      wanted = new Wanted(forExpected, "ahead: " + Reasons.number(expected) + " " + unit + " expected after the "
          + Reasons.duration(spec.replicaStartupTime()) + " start-up wants " + forExpected);
    }

    int queue = inputs.queueDepth();
    if (queue > 0) {
      // A held request needs a slot: the hard limit, or with no limit what a replica can carry in all.
      int perReplica = spec.hardLimit() > 0 ? spec.hardLimit() : Math.max(1, (int) Math.floor(spec.totalPerReplica()));
      int forQueue = BurstCapacity.saturate(inputs.readyReplicas() + Math.ceil((double) queue / perReplica));
      if (forQueue > wanted.replicas) {
        wanted = new Wanted(forQueue, "queue: " + queue + " request(s) held, " + perReplica + " per replica, on top of "
            + inputs.readyReplicas() + " ready, want " + forQueue);
      }
    }
    return wanted;
  }

  /**
   * The rise expected while a replica starts: the slope between the panic window's midpoint and the stable window's,
   * times the start-up time; nothing when the load is flat or falling, and never more than the recent value again.
   */
  private double growthDuringStartup(double recent, double stable) {
    double startupSeconds = spec.replicaStartupTime().toNanos() / 1e9;
    double midpointsApart =
        (spec.stableWindow().toNanos() - spec.panicWindow().toNanos()) / 2e9;
    if (startupSeconds <= 0 || midpointsApart <= 0 || recent <= stable) {
      return 0;
    }
    double slope = (recent - stable) / midpointsApart;
    return Math.min(recent, slope * startupSeconds);
  }

  /**
   * What one replica can take at most, in the metric's unit: the hard limit for concurrency, else the total per
   * replica (a rate has no slots; Knative's {@code TotalValue} is the closest bound).
   */
  private double slotsPerReplica() {
    if (spec.hardLimit() > 0 && spec.metric() == ScalingMetric.CONCURRENCY_UTILIZATION) {
      return spec.hardLimit();
    }
    return spec.totalPerReplica();
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

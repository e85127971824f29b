package io.sluice.autoscaler.decision;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one app's decider remembers from one decision to the next. Immutable: a {@link ScalingPolicy} takes it and
 * returns the next one in its {@link Decision}, so the state can be kept anywhere (in memory on the deciding node, or
 * replicated so that another node resumes where this one stopped).
 *
 * @param lastPanicAt the last decision at which the panic window was over the panic threshold; present while
 *     panicking (Knative's {@code panicTime}, which it moves forward for as long as the load stays over)
 * @param maxPanicReplicas the most replicas wanted since panic began; the count never goes below it while panicking
 * @param scaleDownDelayWindow the counts wanted over the scale-down delay, as a descending-maxima list (Knative's
 *     {@code max.TimeWindow}): the first entry is the highest count still inside the delay
 * @param initialized whether the app has once had its initial scale ready; until then the initial scale is a floor
 * @param activeSince since when the app has been active — replicas ready and wanted (Knative's PA {@code Active}
 *     condition); empty while inactive or activating
 * @param holdQueueInPathSince since when the hold queue has been in the request path without a break (Knative's SKS
 *     proxy mode); the Knative policy removes the last replica only after the grace period of this
 * @param lastLoadAt the last decision that saw load: requests in flight in the panic window, or held
 */
public record DeciderState(
    Optional<Instant> lastPanicAt,
    int maxPanicReplicas,
    List<DesiredAt> scaleDownDelayWindow,
    boolean initialized,
    Optional<Instant> activeSince,
    Optional<Instant> holdQueueInPathSince,
    Optional<Instant> lastLoadAt) {

  /** A count wanted at a time, an entry of the scale-down delay window. */
  public record DesiredAt(Instant at, int replicas) {

    public DesiredAt {
      Objects.requireNonNull(at, "at");
    }
  }

  public DeciderState {
    Objects.requireNonNull(lastPanicAt, "lastPanicAt");
    scaleDownDelayWindow = List.copyOf(Objects.requireNonNull(scaleDownDelayWindow, "scaleDownDelayWindow"));
    Objects.requireNonNull(activeSince, "activeSince");
    Objects.requireNonNull(holdQueueInPathSince, "holdQueueInPathSince");
    Objects.requireNonNull(lastLoadAt, "lastLoadAt");
    if (maxPanicReplicas < 0) {
      throw new IllegalArgumentException("maxPanicReplicas: " + maxPanicReplicas + " (expected: >= 0)");
    }
  }

  /** The state of an app just deployed: nothing seen yet, initial scale still to reach. */
  public static DeciderState initial() {
    return new DeciderState(
        Optional.empty(), 0, List.of(), false, Optional.empty(), Optional.empty(), Optional.empty());
  }

  /**
   * The state for a decider that takes over a running app without its predecessor's state (a node died, or the app
   * moved to another node). As Knative does when its autoscaler restarts, it starts panicking when more than one
   * replica is ready, holding the current count until the windows have refilled, rather than scaling down on the
   * little data a new window has. The app counts as active and as having had load {@code now}, and the scale-down delay
   * starts from the current count (Knative starts it empty), so neither policy takes it down before its delays have
   * run again.
   */
  public static DeciderState resumed(int readyReplicas, Instant now) {
    Objects.requireNonNull(now, "now");
    if (readyReplicas < 0) {
      throw new IllegalArgumentException("readyReplicas: " + readyReplicas + " (expected: >= 0)");
    }
    Optional<Instant> active = readyReplicas > 0 ? Optional.of(now) : Optional.empty();
    return new DeciderState(readyReplicas > 1 ? Optional.of(now) : Optional.empty(), readyReplicas,
        List.of(new DesiredAt(now, readyReplicas)), true, active, Optional.empty(), Optional.of(now));
  }

  /** Whether the Knative policy is in panic mode. */
  public boolean panicking() {
    return lastPanicAt.isPresent();
  }

  DeciderState withPanic(Optional<Instant> newLastPanicAt, int newMaxPanicReplicas) {
    return new DeciderState(newLastPanicAt, newMaxPanicReplicas, scaleDownDelayWindow, initialized, activeSince,
        holdQueueInPathSince, lastLoadAt);
  }

  DeciderState withScaleDownDelayWindow(List<DesiredAt> window) {
    return new DeciderState(lastPanicAt, maxPanicReplicas, window, initialized, activeSince, holdQueueInPathSince,
        lastLoadAt);
  }

  DeciderState withInitialized(boolean newInitialized) {
    return new DeciderState(lastPanicAt, maxPanicReplicas, scaleDownDelayWindow, newInitialized, activeSince,
        holdQueueInPathSince, lastLoadAt);
  }

  DeciderState withActiveSince(Optional<Instant> since) {
    return new DeciderState(lastPanicAt, maxPanicReplicas, scaleDownDelayWindow, initialized, since,
        holdQueueInPathSince, lastLoadAt);
  }

  DeciderState withHoldQueueInPathSince(Optional<Instant> since) {
    return new DeciderState(lastPanicAt, maxPanicReplicas, scaleDownDelayWindow, initialized, activeSince, since,
        lastLoadAt);
  }

  DeciderState withLastLoadAt(Optional<Instant> at) {
    return new DeciderState(lastPanicAt, maxPanicReplicas, scaleDownDelayWindow, initialized, activeSince,
        holdQueueInPathSince, at);
  }
}

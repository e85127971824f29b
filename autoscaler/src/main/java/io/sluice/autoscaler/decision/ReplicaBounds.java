package io.sluice.autoscaler.decision;

/** Min, max and initial scale, applied as Knative's KPA scaler applies them. */
final class ReplicaBounds {

  private ReplicaBounds() {}

  /** The floor: min replicas, raised to the initial scale until the app has once had it ready. */
  static int floor(DeciderSpec spec, DeciderState state) {
    return state.initialized() ? spec.minReplicas() : Math.max(spec.minReplicas(), spec.initialScale());
  }

  /** {@code replicas} within [{@link #floor}, max replicas]. */
  static int apply(DeciderSpec spec, DeciderState state, int replicas) {
    return Math.min(spec.maxReplicas(), Math.max(floor(spec, state), replicas));
  }

  /**
   * Ready replicas that make the app active (Knative's {@code activeThreshold}): the initial scale until reached, then
   * at least one; 0 means the app can never be active (initial scale 0 and no minimum).
   */
  static int readyToBeActive(DeciderSpec spec, DeciderState state) {
    return state.initialized()
        ? Math.max(spec.minReplicas(), 1)
        : Math.max(spec.minReplicas(), spec.initialScale());
  }

  /** Whether the app reaches its initial scale with {@code readyReplicas} ready (Knative's scale target initialized). */
  static boolean initializedWith(DeciderSpec spec, DeciderState state, int readyReplicas) {
    return state.initialized() || readyReplicas >= readyToBeActive(spec, state);
  }

  /** Why {@link #apply} changed {@code wanted} into {@code bounded}, or {@code reason} when it did not. */
  static String reason(DeciderSpec spec, DeciderState state, int wanted, int bounded, String reason) {
    if (bounded == wanted) {
      return reason;
    }
    if (bounded == spec.maxReplicas() && wanted > bounded) {
      return "at max replicas " + bounded + " (" + reason + ")";
    }
    if (!state.initialized() && bounded == spec.initialScale() && spec.initialScale() > spec.minReplicas()) {
      return "initial scale: " + bounded + " replica(s) until the app first has them ready";
    }
    return "at min replicas " + bounded + " (" + reason + ")";
  }
}

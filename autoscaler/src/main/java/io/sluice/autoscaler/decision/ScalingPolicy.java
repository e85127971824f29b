package io.sluice.autoscaler.decision;

import java.time.Instant;

/**
 * Decides how many replicas one app should have. A pure function of the state from the previous decision, what is
 * observed now, and the time: no clock reads, no I/O, so it replays the same in the simulator, in tests and on another
 * node after a failover. The caller keeps {@link Decision#next()} and passes it to the next call.
 */
public interface ScalingPolicy {

  /** Decides at {@code now}, a tick of the app's decider (Knative ticks every 2 s). */
  Decision decide(DeciderState state, ScalingInputs inputs, Instant now);

  /** A short name for logs and the admin API ({@code knative}, {@code sluice}). */
  String name();

  /** Knative Serving's KPA: its autoscaler's decision and its reconciler's scale-to-zero, case for case. */
  static ScalingPolicy knative(DeciderSpec spec) {
    return new KnativePolicy(spec);
  }

  /** Sluice's default: Knative's inputs plus the hold queue, replica start-up time and buffer; see its Javadoc. */
  static ScalingPolicy sluice(DeciderSpec spec) {
    return new SluicePolicy(spec);
  }
}

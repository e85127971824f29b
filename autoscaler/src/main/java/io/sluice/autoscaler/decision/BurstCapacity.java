package io.sluice.autoscaler.decision;

/** Knative's excess burst capacity: whether the ready replicas can take a burst without the hold queue. */
final class BurstCapacity {

  private BurstCapacity() {}

  /**
   * What the ready replicas can carry, less the load in the panic window and the target burst capacity, floored; 0 when
   * the target burst capacity is 0 (the hold queue only at zero), -1 when it is -1 (the hold queue always). Based on
   * the panic value so that a short dip does not take the hold queue out of the path.
   */
  static int excess(DeciderSpec spec, int readyReplicas, double panicValue) {
    double target = spec.targetBurstCapacity();
    if (target == 0) {
      return 0;
    }
    if (target < 0) {
      return -1;
    }
    return saturate(Math.floor(readyReplicas * spec.totalPerReplica() - target - panicValue));
  }

  static int saturate(double value) {
    return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, value));
  }
}

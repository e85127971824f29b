package io.sluice.autoscaler.simulate;

import java.util.Objects;

/**
 * One policy's replay of one trace, summed over its apps.
 *
 * @param policy the policy that decided
 * @param requests requests in the trace
 * @param served requests that got a replica before the run ended
 * @param waited requests that were held at all (no ready replica with a free slot when they arrived)
 * @param coldStartWaits requests that were held and then served by a replica that became ready after they arrived:
 *     they waited for a replica to start (and perhaps a node to come up), not for a busy replica to finish
 * @param waitP50Seconds median time from arrival to getting a replica, over all requests (served or not; one not
 *     served counts its wait until the end of the run)
 * @param waitP99Seconds 99th percentile of the same
 * @param waitMaxSeconds the longest wait
 * @param waitMeanSeconds the mean wait
 * @param replicaUnitSeconds replica lifetimes (from being started on a node, start-up included, until stopped or the
 *     end of the run) times GPUs per replica; replica-seconds for an app without GPU (see {@code gpuUnits})
 * @param gpuUnits whether {@code replicaUnitSeconds} counts GPUs (true when every app has a GPU)
 * @param nodeUnitSeconds node lifetimes (asked for until released or the end of the run) times GPUs per node
 *     (node-seconds for a CPU pool): what a cloud bills, idle and provisioning nodes included
 * @param peakReplicas the most replicas (starting, ready or draining) the apps had at once, summed over apps
 * @param replicaStarts replicas started: one per scale-up step of one replica
 * @param maxInFlightPerReplica the most requests any one replica ever had at once (never above its hard limit)
 * @param endSeconds simulated time, from the trace's start, at which the run ended
 * @param timeline the apps' state at every recorded tick
 */
public record SimulationResult(
    SimulatedPolicy policy,
    int requests,
    int served,
    int waited,
    int coldStartWaits,
    double waitP50Seconds,
    double waitP99Seconds,
    double waitMaxSeconds,
    double waitMeanSeconds,
    double replicaUnitSeconds,
    boolean gpuUnits,
    double nodeUnitSeconds,
    int peakReplicas,
    int replicaStarts,
    int maxInFlightPerReplica,
    double endSeconds,
    Timeline timeline) {

  public SimulationResult {
    Objects.requireNonNull(policy, "policy");
    Objects.requireNonNull(timeline, "timeline");
  }

  /** Requests still waiting, or never started, when the run ended (the pools could not host enough replicas). */
  public int unserved() {
    return requests - served;
  }
}

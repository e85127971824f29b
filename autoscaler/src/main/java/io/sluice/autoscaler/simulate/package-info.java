/**
 * The trace-replay simulator behind {@code sluice simulate}: replays a request trace through the same decision core
 * ({@link io.sluice.autoscaler.decision.ScalingPolicy}), the same metric path
 * ({@link io.sluice.autoscaler.metrics.ConcurrencyAccumulator}, {@link io.sluice.autoscaler.metrics.MetricWindow}) and
 * the same capacity model ({@link io.sluice.autoscaler.capacity.Placement}) as a node, once per policy, and measures
 * cold-start waits and GPU-seconds.
 *
 * <p>{@link io.sluice.autoscaler.simulate.Simulator} is a pure, deterministic discrete-event engine: simulated time
 * only, no clock reads, no I/O. The trace readers ({@link io.sluice.autoscaler.simulate.TraceReaders}) and the
 * timeline writers ({@link io.sluice.autoscaler.simulate.TimelineCsv},
 * {@link io.sluice.autoscaler.simulate.ReplicaChartSvg}) are the only classes of this module that touch files: reading traces and writing results is what a simulator is
 * for.
 */
package io.sluice.autoscaler.simulate;

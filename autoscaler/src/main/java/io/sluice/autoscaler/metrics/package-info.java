/**
 * Measuring an app's load: each event loop of a node keeps a {@link io.sluice.autoscaler.metrics.ConcurrencyAccumulator}
 * per app and closes it every second into a {@link io.sluice.autoscaler.metrics.MetricBucket}; the deciding node merges
 * the nodes' buckets into a {@link io.sluice.autoscaler.metrics.MetricWindow} and asks it for averages over the stable
 * and panic windows, with the semantics of Knative's {@code TimedFloat64Buckets}.
 */
package io.sluice.autoscaler.metrics;

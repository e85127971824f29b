/**
 * The node's Prometheus metrics: Vert.x's own, through vertx-micrometer-metrics, and Sluice's per-app series, bounded
 * in number, recorded on the request path through meters that each app's route holds.
 */
package io.sluice.dataplane.metrics;

package io.sluice.autoscaler.metrics;

/**
 * One second of one app's load, as one node measured it or as the deciding node merged it from several nodes.
 *
 * @param epochSecond the second the bucket covers, from the node's wall clock (nodes are assumed NTP-synced)
 * @param concurrency time-weighted average number of requests in flight during that second
 * @param requests requests that started during that second
 */
public record MetricBucket(long epochSecond, double concurrency, double requests) {

  public MetricBucket {
    if (!(concurrency >= 0) || Double.isInfinite(concurrency)) {
      throw new IllegalArgumentException("concurrency: " + concurrency + " (expected: finite and >= 0)");
    }
    if (!(requests >= 0) || Double.isInfinite(requests)) {
      throw new IllegalArgumentException("requests: " + requests + " (expected: finite and >= 0)");
    }
  }

  /** This bucket and another of the same second added up, as when merging nodes. */
  public MetricBucket plus(MetricBucket other) {
    if (other.epochSecond != epochSecond) {
      throw new IllegalArgumentException(
          "epochSecond: " + other.epochSecond + " (expected: " + epochSecond + ", the same second)");
    }
    return new MetricBucket(epochSecond, concurrency + other.concurrency, requests + other.requests);
  }
}

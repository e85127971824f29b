package io.sluice.config;

/** What the autoscaler compares against the target (Cerebrium's {@code scaling_metric}). */
public enum ScalingMetric {
  /** In-flight requests per replica, as a share of the target ({@code concurrency_utilization}). */
  CONCURRENCY_UTILIZATION("concurrency_utilization"),
  /** Requests per second per replica ({@code requests_per_second}). */
  REQUESTS_PER_SECOND("requests_per_second");

  private final String configName;

  ScalingMetric(String configName) {
    this.configName = configName;
  }

  public String configName() {
    return configName;
  }
}

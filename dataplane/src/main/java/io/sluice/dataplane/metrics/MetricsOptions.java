package io.sluice.dataplane.metrics;

/**
 * How many apps get series of their own at the node's {@code /metrics}.
 *
 * <p>Each app with series costs Prometheus 76 of them (6 status-class counters; 3 histograms — latency, time held and
 * cold-start time — of 16, 14 and 12 buckets, each with count, sum and max; 5 gauges; 5 replica-failure counters, one
 * per reason; 4 more counters), so the default cap of 500 apps is about 38,000 series per node. Apps deployed past the
 * cap share one set of series labelled {@code project="_other", app="_other"} (names of real apps cannot start with
 * {@code _}), so that the node's totals stay whole, and {@code sluice_apps_unlabelled} counts them.
 *
 * @param maxAppsWithSeries how many apps may have series of their own; 0 puts every app under {@code _other}
 */
public record MetricsOptions(int maxAppsWithSeries) {

  public static final int DEFAULT_MAX_APPS_WITH_SERIES = 500;

  public MetricsOptions {
    if (maxAppsWithSeries < 0) {
      throw new IllegalArgumentException("maxAppsWithSeries: " + maxAppsWithSeries + " (expected: >= 0)");
    }
  }

  public static MetricsOptions defaults() {
    return new MetricsOptions(DEFAULT_MAX_APPS_WITH_SERIES);
  }
}

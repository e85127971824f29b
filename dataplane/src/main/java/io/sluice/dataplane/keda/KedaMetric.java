package io.sluice.dataplane.keda;

import io.sluice.config.ScalingMetric;
import io.sluice.dataplane.scaling.MergedLoad;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What a {@code ScaledObject} scales on, named as in its trigger's {@code metric}: the fleet's concurrency, or its
 * request rate.
 *
 * <p>The value is the one over the app's short (panic) window, a tenth of its stable window: the HPA that KEDA drives
 * scales up on the value as it is and smooths scale-down itself (its stabilization window), so a long window here
 * would only delay scaling up.
 */
public enum KedaMetric {
  /** Requests in flight over the fleet, held ones included, time-weighted. */
  CONCURRENCY("concurrency", ScalingMetric.CONCURRENCY_UTILIZATION),
  /** Requests started per second over the fleet. */
  RATE("rate", ScalingMetric.REQUESTS_PER_SECOND);

  private final String metadataName;
  private final ScalingMetric appMetric;

  KedaMetric(String metadataName, ScalingMetric appMetric) {
    this.metadataName = metadataName;
    this.appMetric = appMetric;
  }

  /** The name a trigger's {@code metric} gives it, and the last part of the metric's name. */
  public String metadataName() {
    return metadataName;
  }

  /** Whether an app's own decider scales on this, so that the app's own target applies. */
  boolean sameAs(ScalingMetric metric) {
    return appMetric == metric;
  }

  double valueOf(MergedLoad load) {
    return (this == CONCURRENCY ? load.panicConcurrency() : load.panicRate()).orElse(0);
  }

  static Optional<KedaMetric> named(String text) {
    String name = text.trim().toLowerCase(Locale.ROOT);
    return Arrays.stream(values()).filter(metric -> metric.metadataName.equals(name)).findFirst();
  }

  static String names() {
    return Arrays.stream(values()).map(KedaMetric::metadataName).collect(Collectors.joining(" or "));
  }
}

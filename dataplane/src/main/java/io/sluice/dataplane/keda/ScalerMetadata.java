package io.sluice.dataplane.keda;

import io.sluice.config.AppId;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * What a {@code ScaledObject}'s {@code external-push} trigger asks for, read from its {@code metadata}: which app
 * ({@code app: project/name}, or {@code app: name} with {@code project}, the project {@code local} by default), which
 * metric ({@code metric: concurrency}, the default, or {@code rate}), and what one replica should carry
 * ({@code target}; by default the app's own target when it scales on the same metric). Keys KEDA adds itself
 * ({@code scalerAddress} and its TLS settings) are left alone.
 */
record ScalerMetadata(AppId app, KedaMetric metric, OptionalDouble target) {

  static final String APP = "app";
  static final String PROJECT = "project";
  static final String METRIC = "metric";
  static final String TARGET = "target";

  ScalerMetadata {
    Objects.requireNonNull(app, "app");
    Objects.requireNonNull(metric, "metric");
    Objects.requireNonNull(target, "target");
  }

  /** Reads the trigger's metadata; a {@link BadMetadata} names the key, the value and what would do. */
  static ScalerMetadata parse(Map<String, String> metadata) {
    return new ScalerMetadata(appOf(metadata), metricOf(metadata), targetOf(metadata));
  }

  /** The metric's name as the HPA shows it: {@code sluice-<project>-<app>-<metric>}. */
  String metricName() {
    return "sluice-" + app.project() + "-" + app.name() + "-" + metric.metadataName();
  }

  private static AppId appOf(Map<String, String> metadata) {
    String app = blankToNull(metadata.get(APP));
    String project = blankToNull(metadata.get(PROJECT));
    if (app == null) {
      throw new BadMetadata(APP + ": missing (expected: the app to scale on, as `app: my-project/my-app`, or "
          + "`app: my-app` with `project: my-project`)");
    }
    int slash = app.indexOf('/');
    String name = slash < 0 ? app : app.substring(slash + 1);
    if (slash >= 0) {
      String named = app.substring(0, slash);
      if (project != null && !project.equals(named)) {
        throw new BadMetadata(PROJECT + ": " + project + " disagrees with " + APP + ": " + app
            + " (expected: the project once, in `app: project/name` or in `project`)");
      }
      project = named;
    }
    if (project == null) {
      project = AppId.DEFAULT_PROJECT;
    }
    if (!AppId.NAME.matcher(project).matches()) {
      throw new BadMetadata(PROJECT + ": " + project + " (expected: " + AppId.NAME_RULE + ")");
    }
    if (!AppId.NAME.matcher(name).matches()) {
      throw new BadMetadata(APP + ": " + app + " (expected: an app name of " + AppId.NAME_RULE
          + ", or project/name)");
    }
    return new AppId(project, name);
  }

  private static KedaMetric metricOf(Map<String, String> metadata) {
    String metric = blankToNull(metadata.get(METRIC));
    if (metric == null) {
      return KedaMetric.CONCURRENCY;
    }
    return KedaMetric.named(metric).orElseThrow(() ->
        new BadMetadata(METRIC + ": " + metric + " (expected: " + KedaMetric.names() + ")"));
  }

  private static OptionalDouble targetOf(Map<String, String> metadata) {
    String target = blankToNull(metadata.get(TARGET));
    if (target == null) {
      return OptionalDouble.empty();
    }
    double value;
    try {
      value = Double.parseDouble(target.trim());
    } catch (NumberFormatException e) {
      value = Double.NaN;
    }
    if (!Double.isFinite(value) || value <= 0) {
      throw new BadMetadata(TARGET + ": " + target
          + " (expected: a number > 0, what one replica should carry in the metric's unit)");
    }
    return OptionalDouble.of(value);
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value.trim();
  }

  /** Metadata that names no app, an unknown metric or a bad target: KEDA is told {@code INVALID_ARGUMENT}. */
  static final class BadMetadata extends IllegalArgumentException {
    BadMetadata(String message) {
      super(message);
    }
  }
}

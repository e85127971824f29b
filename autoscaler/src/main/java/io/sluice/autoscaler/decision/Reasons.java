package io.sluice.autoscaler.decision;

import io.sluice.config.ScalingMetric;
import java.time.Duration;
import java.util.Locale;

/** The words of {@link ScaleDecision#reason()}: numbers with one decimal, durations as a person writes them. */
final class Reasons {

  static final String NO_DATA = "no data yet: keeping the current count";

  private Reasons() {}

  static String number(double value) {
    return String.format(Locale.ROOT, "%.1f", value);
  }

  /** "200%", "212.5%". */
  static String percent(double value) {
    return value == Math.rint(value)
        ? String.format(Locale.ROOT, "%.0f%%", value)
        : String.format(Locale.ROOT, "%.1f%%", value);
  }

  static String unit(ScalingMetric metric) {
    return metric == ScalingMetric.REQUESTS_PER_SECOND ? "requests/s" : "concurrency";
  }

  /** "30 s", "5 min", "1 h", "1.5 s". */
  static String duration(Duration duration) {
    long seconds = duration.getSeconds();
    if (duration.getNano() != 0) {
      return String.format(Locale.ROOT, "%.1f s", duration.toMillis() / 1000.0);
    }
    if (seconds >= 3600 && seconds % 3600 == 0) {
      return seconds / 3600 + " h";
    }
    if (seconds >= 60 && seconds % 60 == 0) {
      return seconds / 60 + " min";
    }
    return seconds + " s";
  }
}

package io.sluice.dataplane.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.noop.NoopCounter;
import io.micrometer.core.instrument.noop.NoopTimer;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * The meters one app's requests end in: a counter per status class and the latency histogram. An app's
 * {@code AppRoute} holds its instance, so that ending a request costs a field read, one counter increment and one
 * timer record — no lookup by name, no allocation, no lock (Micrometer's counters and timers are striped adders and
 * atomic arrays, safe from every event loop).
 *
 * <p>Every meter is made when the app is deployed, not at its first request of each class: nothing is registered on
 * the request path, and a request that ends after its app was undeployed records into meters that are no longer
 * exported rather than bringing them back.
 */
public final class AppMeters {

  /** The label values by {@code status / 100}; 0 is an exchange that ended with no status sent (the client left). */
  static final String[] STATUS_CLASSES = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};

  /** For routes that nobody meters (tests, benchmarks): records nothing. */
  public static final AppMeters NONE = new AppMeters(noopCounters(), new NoopTimer(noopId(Meter.Type.TIMER)));

  private final Counter[] byStatusClass;
  private final Timer duration;

  AppMeters(Counter[] byStatusClass, Timer duration) {
    if (byStatusClass.length != STATUS_CLASSES.length) {
      throw new IllegalArgumentException("byStatusClass: " + byStatusClass.length + " counters (expected: "
          + STATUS_CLASSES.length + ")");
    }
    this.byStatusClass = byStatusClass.clone();
    this.duration = duration;
  }

  /**
   * One request ended, {@code nanos} after the node took it (time held for a slot included).
   *
   * @param status the status the client was sent, 0 if none was; a status outside 100-599 counts as {@code none}
   */
  public void ended(int status, long nanos) {
    int statusClass = status / 100;
    byStatusClass[statusClass >= 1 && statusClass <= 5 ? statusClass : 0].increment();
    duration.record(nanos, TimeUnit.NANOSECONDS);
  }

  Counter[] counters() {
    return byStatusClass.clone();
  }

  Timer duration() {
    return duration;
  }

  private static Counter[] noopCounters() {
    Counter[] counters = new Counter[STATUS_CLASSES.length];
    Arrays.fill(counters, new NoopCounter(noopId(Meter.Type.COUNTER)));
    return counters;
  }

  private static Meter.Id noopId(Meter.Type type) {
    return new Meter.Id("sluice.noop", Tags.empty(), null, null, type);
  }
}

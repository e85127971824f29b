package io.sluice.dataplane.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.noop.NoopCounter;
import io.micrometer.core.instrument.noop.NoopTimer;
import io.sluice.autoscaler.replica.ReplicaFailure;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * The meters of one app's series: its requests' ends (a counter per status class, the latency histogram), its waits in
 * the hold queue, its cold starts and its replicas' starts and failures. An app's {@code AppRoute} holds its instance,
 * so that ending a request costs a field read, one counter increment and one timer record — no lookup by name, no
 * allocation, no lock (Micrometer's counters and timers are striped adders and atomic arrays, safe from every event
 * loop and from the provider's context).
 *
 * <p>Every meter is made when the app is deployed, not at its first event of each kind: nothing is registered on
 * the request path, and an event that comes after its app was undeployed records into meters that are no longer
 * exported rather than bringing them back.
 */
public final class AppMeters {

  /** The label values by {@code status / 100}; 0 is an exchange that ended with no status sent (the client left). */
  static final String[] STATUS_CLASSES = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};

  /** For routes that nobody meters (tests, benchmarks): records nothing. */
  public static final AppMeters NONE = new AppMeters(
      noopCounters(STATUS_CLASSES.length), noopTimer(), noopTimer(), noopCounter(), noopTimer(),
      noopCounter(), noopCounter(), noopCounters(ReplicaFailure.values().length), noopCounter());

  private final Counter[] byStatusClass;
  private final Timer duration;
  private final Timer held;
  private final Counter coldStarts;
  private final Timer coldStartDuration;
  private final Counter replicaStarts;
  private final Counter replicasBecameReady;
  private final Counter[] replicaFailures;
  private final Counter replicasGivenUp;

  /**
   * @param byStatusClass one counter per {@link #STATUS_CLASSES} value, in that order
   * @param replicaFailures one counter per {@link ReplicaFailure}, in its order
   */
  AppMeters(Counter[] byStatusClass, Timer duration, Timer held, Counter coldStarts, Timer coldStartDuration,
      Counter replicaStarts, Counter replicasBecameReady, Counter[] replicaFailures, Counter replicasGivenUp) {
    if (byStatusClass.length != STATUS_CLASSES.length) {
      throw new IllegalArgumentException("byStatusClass: " + byStatusClass.length + " counters (expected: "
          + STATUS_CLASSES.length + ")");
    }
    if (replicaFailures.length != ReplicaFailure.values().length) {
      throw new IllegalArgumentException("replicaFailures: " + replicaFailures.length + " counters (expected: "
          + ReplicaFailure.values().length + ")");
    }
    this.byStatusClass = byStatusClass.clone();
    this.duration = duration;
    this.held = held;
    this.coldStarts = coldStarts;
    this.coldStartDuration = coldStartDuration;
    this.replicaStarts = replicaStarts;
    this.replicasBecameReady = replicasBecameReady;
    this.replicaFailures = replicaFailures.clone();
    this.replicasGivenUp = replicasGivenUp;
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

  /**
   * A request left the app's hold queue {@code nanos} after it was held, whichever way: it got a slot, its hold
   * time ran out, or its client went away. Requests that found a slot at once never call it.
   */
  public void leftHoldQueue(long nanos) {
    held.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** A request was held while the app had no ready replica here, and none was already being waited for. */
  public void coldStartBegan() {
    coldStarts.increment();
  }

  /** The cold start that began {@code nanos} ago ended: a replica became ready here. */
  public void coldStartEnded(long nanos) {
    coldStartDuration.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** This node started a replica process of the app: its first start or a restart. */
  public void replicaStarted() {
    replicaStarts.increment();
  }

  /** A start counted by {@link #replicaStarted()} passed its readiness probe. */
  public void replicaBecameReady() {
    replicasBecameReady.increment();
  }

  /** A replica's run ended without being asked to. */
  public void replicaFailed(ReplicaFailure failure) {
    replicaFailures[failure.ordinal()].increment();
  }

  /** The provider gave up on a replica: it kept failing before it was ever ready, and will not be started again. */
  public void replicaGivenUp() {
    replicasGivenUp.increment();
  }

  Counter[] counters() {
    return byStatusClass.clone();
  }

  Timer duration() {
    return duration;
  }

  private static Counter noopCounter() {
    return new NoopCounter(noopId(Meter.Type.COUNTER));
  }

  private static Counter[] noopCounters(int count) {
    Counter[] counters = new Counter[count];
    Arrays.fill(counters, noopCounter());
    return counters;
  }

  private static Timer noopTimer() {
    return new NoopTimer(noopId(Meter.Type.TIMER));
  }

  private static Meter.Id noopId(Meter.Type type) {
    return new Meter.Id("sluice.noop", Tags.empty(), null, null, type);
  }
}

package io.sluice.autoscaler.simulate;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What each app looked like at each recorded tick of one run: desired, ready and pending replicas, requests held and
 * requests in flight on replicas. Column arrays, so that a day at one row per 2 s tick stays small. Immutable once
 * built.
 */
public final class Timeline {

  private final List<String> apps;
  private final int size;
  private final long[] nanos;
  private final int[] app;
  private final int[] desired;
  private final int[] ready;
  private final int[] pending;
  private final int[] queue;
  private final int[] inFlight;

  private Timeline(List<String> apps, int size, long[] nanos, int[] app, int[] desired, int[] ready, int[] pending,
      int[] queue, int[] inFlight) {
    this.apps = List.copyOf(apps);
    this.size = size;
    this.nanos = nanos;
    this.app = app;
    this.desired = desired;
    this.ready = ready;
    this.pending = pending;
    this.queue = queue;
    this.inFlight = inFlight;
  }

  /** The apps' names; {@link #app(int)} indexes into it. */
  public List<String> apps() {
    return apps;
  }

  public int size() {
    return size;
  }

  /** Nanoseconds since the trace's start. */
  public long nanos(int row) {
    return nanos[row];
  }

  public int app(int row) {
    return app[row];
  }

  public int desired(int row) {
    return desired[row];
  }

  public int ready(int row) {
    return ready[row];
  }

  public int pending(int row) {
    return pending[row];
  }

  public int queue(int row) {
    return queue[row];
  }

  public int inFlight(int row) {
    return inFlight[row];
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof Timeline that && apps.equals(that.apps) && size == that.size
        && Arrays.equals(nanos, 0, size, that.nanos, 0, size) && Arrays.equals(app, 0, size, that.app, 0, size)
        && Arrays.equals(desired, 0, size, that.desired, 0, size) && Arrays.equals(ready, 0, size, that.ready, 0, size)
        && Arrays.equals(pending, 0, size, that.pending, 0, size) && Arrays.equals(queue, 0, size, that.queue, 0, size)
        && Arrays.equals(inFlight, 0, size, that.inFlight, 0, size);
  }

  @Override
  public int hashCode() {
    return Objects.hash(apps, size);
  }

  @Override
  public String toString() {
    return "Timeline{" + size + " rows, " + apps.size() + " app(s)}";
  }

  /** Appends rows as the engine records them. */
  static final class Builder {
    private final List<String> apps;
    private int size;
    private long[] nanos = new long[256];
    private int[] app = new int[256];
    private int[] desired = new int[256];
    private int[] ready = new int[256];
    private int[] pending = new int[256];
    private int[] queue = new int[256];
    private int[] inFlight = new int[256];

    Builder(List<String> apps) {
      this.apps = apps;
    }

    void add(long atNanos, int appIndex, int desiredReplicas, int readyReplicas, int pendingReplicas, int held,
        int running) {
      if (size == nanos.length) {
        int grown = size * 2;
        nanos = Arrays.copyOf(nanos, grown);
        app = Arrays.copyOf(app, grown);
        desired = Arrays.copyOf(desired, grown);
        ready = Arrays.copyOf(ready, grown);
        pending = Arrays.copyOf(pending, grown);
        queue = Arrays.copyOf(queue, grown);
        inFlight = Arrays.copyOf(inFlight, grown);
      }
      nanos[size] = atNanos;
      app[size] = appIndex;
      desired[size] = desiredReplicas;
      ready[size] = readyReplicas;
      pending[size] = pendingReplicas;
      queue[size] = held;
      inFlight[size] = running;
      size++;
    }

    Timeline build() {
      return new Timeline(apps, size, nanos, app, desired, ready, pending, queue, inFlight);
    }
  }
}

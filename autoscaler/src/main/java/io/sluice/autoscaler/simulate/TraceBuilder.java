package io.sluice.autoscaler.simulate;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Collects a trace's requests as a reader parses them, then sorts them by arrival into a {@link Trace}. */
final class TraceBuilder {

  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  private final Map<String, Integer> appIndex = new HashMap<>();
  private final List<String> appLabels = new ArrayList<>();
  private int size;
  private int[] app = new int[1024];
  private long[] arrival = new long[1024];
  private long[] service = new long[1024];
  private Long originNanos;

  /** The index of the app labelled {@code label}, added on first use. */
  int app(String label) {
    Integer index = appIndex.get(label);
    if (index == null) {
      index = appLabels.size();
      appIndex.put(label, index);
      appLabels.add(label);
    }
    return index;
  }

  /**
   * Adds a request arriving at {@code arrivalNanos} (on any time line that the whole trace shares: epoch nanoseconds,
   * or nanoseconds since the trace began) that takes {@code serviceNanos} to serve.
   */
  void add(int appIndex, long arrivalNanos, long serviceNanos) {
    if (size == app.length) {
      int grown = Math.max(1024, size + (size >> 1));
      app = Arrays.copyOf(app, grown);
      arrival = Arrays.copyOf(arrival, grown);
      service = Arrays.copyOf(service, grown);
    }
    app[size] = appIndex;
    arrival[size] = arrivalNanos;
    service[size] = serviceNanos;
    size++;
  }

  int size() {
    return size;
  }

  /**
   * Puts time zero — when the apps are deployed — at {@code epochNanos} (a whole second, at or before the first
   * arrival) instead of at the first arrival's second.
   */
  TraceBuilder origin(long epochNanos) {
    if (epochNanos % NANOS_PER_SECOND != 0) {
      throw new IllegalArgumentException("origin: " + epochNanos + " (expected: a whole second)");
    }
    this.originNanos = epochNanos;
    return this;
  }

  /**
   * The trace, sorted by arrival (requests arriving at the same instant keep their order), with time zero at the whole
   * second at or before the first arrival.
   */
  Trace build(TraceFormat format, String source, Optional<String> attribution, List<String> notes,
      Optional<ServiceTimeModel> serviceModel) {
    int[] sortedApp = Arrays.copyOf(app, size);
    long[] sortedArrival = Arrays.copyOf(arrival, size);
    long[] sortedService = Arrays.copyOf(service, size);
    if (!isSorted(sortedArrival)) {
      Integer[] order = new Integer[size];
      for (int i = 0; i < size; i++) {
        order[i] = i;
      }
      // A stable sort, so that requests of the same instant stay in file order.
      Arrays.sort(order, (a, b) -> Long.compare(arrival[a], arrival[b]));
      for (int i = 0; i < size; i++) {
        sortedApp[i] = app[order[i]];
        sortedArrival[i] = arrival[order[i]];
        sortedService[i] = service[order[i]];
      }
    }
    long startNanos = size == 0 ? 0 : Math.floorDiv(sortedArrival[0], NANOS_PER_SECOND) * NANOS_PER_SECOND;
    if (originNanos != null) {
      if (size > 0 && originNanos > sortedArrival[0]) {
        throw new IllegalArgumentException("origin: " + originNanos + " (expected: at or before the first arrival)");
      }
      startNanos = originNanos;
    }
    for (int i = 0; i < size; i++) {
      sortedArrival[i] -= startNanos;
    }
    Instant start = Instant.ofEpochSecond(Math.floorDiv(startNanos, NANOS_PER_SECOND));
    return new Trace(format, source, start, appLabels, sortedApp, sortedArrival, sortedService, attribution, notes,
        serviceModel);
  }

  private static boolean isSorted(long[] values) {
    for (int i = 1; i < values.length; i++) {
      if (values[i] < values[i - 1]) {
        return false;
      }
    }
    return true;
  }
}

package io.sluice.autoscaler.simulate;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The requests of a trace, ready to replay: for each request, the app it goes to, when it arrives and how long a
 * replica takes to serve it. Kept as primitive arrays sorted by arrival (ties in file order), so that a day of a busy
 * app — a million requests — fits in a few tens of megabytes and replays without boxing.
 *
 * <p>Times are nanoseconds since {@link #start()}, the whole second at or before the first arrival; the simulated app
 * is deployed at that instant. Immutable.
 *
 * @see TraceReaders
 */
public final class Trace {

  private final TraceFormat format;
  private final String source;
  private final Instant start;
  private final List<String> appLabels;
  private final int[] app;
  private final long[] arrivalNanos;
  private final long[] serviceNanos;
  private final Optional<String> attribution;
  private final List<String> notes;
  private final Optional<ServiceTimeModel> serviceModel;

  Trace(TraceFormat format, String source, Instant start, List<String> appLabels, int[] app, long[] arrivalNanos,
      long[] serviceNanos, Optional<String> attribution, List<String> notes, Optional<ServiceTimeModel> serviceModel) {
    this.format = Objects.requireNonNull(format, "format");
    this.source = Objects.requireNonNull(source, "source");
    this.start = Objects.requireNonNull(start, "start");
    this.appLabels = List.copyOf(appLabels);
    this.app = app;
    this.arrivalNanos = arrivalNanos;
    this.serviceNanos = serviceNanos;
    this.attribution = Objects.requireNonNull(attribution, "attribution");
    this.notes = List.copyOf(notes);
    this.serviceModel = Objects.requireNonNull(serviceModel, "serviceModel");
    if (app.length != arrivalNanos.length || app.length != serviceNanos.length) {
      throw new IllegalArgumentException("app, arrivalNanos and serviceNanos: lengths differ");
    }
  }

  public TraceFormat format() {
    return format;
  }

  /** Where the requests came from, as the user named it (a path). */
  public String source() {
    return source;
  }

  /** The whole second at or before the first arrival: simulated time zero, when the apps are deployed. */
  public Instant start() {
    return start;
  }

  /** Requests in the trace. */
  public int size() {
    return app.length;
  }

  /**
   * Apps the requests go to, in order of first appearance; request {@code i} goes to {@code appLabels().get(app(i))}.
   */
  public List<String> appLabels() {
    return appLabels;
  }

  public int app(int request) {
    return app[request];
  }

  public long arrivalNanos(int request) {
    return arrivalNanos[request];
  }

  public long serviceNanos(int request) {
    return serviceNanos[request];
  }

  /** From {@link #start()} to the last arrival. */
  public Duration span() {
    return size() == 0 ? Duration.ZERO : Duration.ofNanos(arrivalNanos[size() - 1]);
  }

  /** The data set's attribution, to print wherever results derived from it are shown; empty for a user's own file. */
  public Optional<String> attribution() {
    return attribution;
  }

  /**
   * What was done to the recorded data on the way here — time compression, one trace split into several apps or
   * shifted, invocations spread within their minute — and what the file itself says about it. Printed with every
   * result.
   */
  public List<String> notes() {
    return notes;
  }

  /** How service times were derived from token counts, for the formats that record no service time. */
  public Optional<ServiceTimeModel> serviceModel() {
    return serviceModel;
  }

  // Package-private views for the engine's inner loop.
  int[] apps() {
    return app;
  }

  long[] arrivals() {
    return arrivalNanos;
  }

  long[] services() {
    return serviceNanos;
  }

  @Override
  public String toString() {
    return "Trace{" + format.cliName() + ", " + source + ", " + size() + " requests, " + appLabels.size() + " app(s)}";
  }
}

package io.sluice.autoscaler.simulate;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * How to read a trace and what to do to it on the way in.
 *
 * @param format the trace's format; empty to recognise it by its header line
 * @param speedup time compression: arrivals are replayed at {@code 1/speedup} of their recorded times (service times
 *     unchanged); 1 replays the trace as recorded
 * @param apps how many apps to make of a single-app trace (the Azure LLM trace), 1 to keep one
 * @param split how requests are shared out when {@code apps > 1}
 * @param serviceModel the service-time model for the Azure LLM trace
 * @param durations the Azure Functions durations file ({@code function_durations_percentiles.anon.d*.csv}), whose
 *     per-function {@code Average} (ms) becomes the service time; empty to use {@code defaultService}
 * @param defaultService the service time of a Functions invocation with no duration
 * @param seed seeds the spreading of per-minute counts within their minute
 * @param onlyApp replay only the requests of the app with this label (an Azure Functions {@code HashApp}, or the
 *     {@code app} column of a CSV trace)
 * @param maxRequests refuse a trace with more requests than this, rather than run out of memory
 */
public record TraceOptions(Optional<TraceFormat> format, double speedup, int apps, Split split,
    ServiceTimeModel serviceModel, Optional<Path> durations, Duration defaultService, long seed,
    Optional<String> onlyApp, long maxRequests) {

  /** How one trace becomes several apps. */
  public enum Split {
    /** Request {@code i} goes to app {@code i mod N}: N apps, each with a share of the load. */
    ROUND_ROBIN("round-robin"),
    /**
     * Every app gets the whole trace, app {@code k} shifted by {@code k × span / N} and wrapped around the span: N apps
     * with the same load each, peaks apart.
     */
    OFFSET("offset");

    private final String cliName;

    Split(String cliName) {
      this.cliName = cliName;
    }

    public String cliName() {
      return cliName;
    }

    public static Split parse(String name) {
      String wanted = name.trim().toLowerCase(Locale.ROOT);
      for (Split split : values()) {
        if (split.cliName.equals(wanted)) {
          return split;
        }
      }
      throw new IllegalArgumentException("split: " + name + " (expected: round-robin or offset)");
    }
  }

  public TraceOptions {
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(split, "split");
    Objects.requireNonNull(serviceModel, "serviceModel");
    Objects.requireNonNull(durations, "durations");
    Objects.requireNonNull(defaultService, "defaultService");
    Objects.requireNonNull(onlyApp, "onlyApp");
    if (!(speedup > 0) || Double.isInfinite(speedup)) {
      throw new IllegalArgumentException("speedup: " + speedup + " (expected: > 0)");
    }
    if (apps < 1) {
      throw new IllegalArgumentException("apps: " + apps + " (expected: >= 1)");
    }
    if (defaultService.isNegative()) {
      throw new IllegalArgumentException("defaultService: " + defaultService + " (expected: >= 0)");
    }
    if (maxRequests < 1) {
      throw new IllegalArgumentException("maxRequests: " + maxRequests + " (expected: >= 1)");
    }
  }

  /** Format recognised by its header, replayed as recorded, one app, the default service-time model, seed 1. */
  public static TraceOptions defaults() {
    return new TraceOptions(Optional.empty(), 1, 1, Split.ROUND_ROBIN, ServiceTimeModel.distServeOpt13bA100(),
        Optional.empty(), Duration.ofSeconds(1), 1, Optional.empty(), 50_000_000);
  }

  public TraceOptions withFormat(TraceFormat value) {
    return new TraceOptions(Optional.of(value), speedup, apps, split, serviceModel, durations, defaultService, seed,
        onlyApp, maxRequests);
  }

  public TraceOptions withSpeedup(double value) {
    return new TraceOptions(format, value, apps, split, serviceModel, durations, defaultService, seed, onlyApp,
        maxRequests);
  }

  public TraceOptions withApps(int value, Split how) {
    return new TraceOptions(format, speedup, value, how, serviceModel, durations, defaultService, seed, onlyApp,
        maxRequests);
  }

  public TraceOptions withServiceModel(ServiceTimeModel value) {
    return new TraceOptions(format, speedup, apps, split, value, durations, defaultService, seed, onlyApp,
        maxRequests);
  }

  public TraceOptions withDurations(Path value) {
    return new TraceOptions(format, speedup, apps, split, serviceModel, Optional.of(value), defaultService, seed,
        onlyApp, maxRequests);
  }

  public TraceOptions withDefaultService(Duration value) {
    return new TraceOptions(format, speedup, apps, split, serviceModel, durations, value, seed, onlyApp, maxRequests);
  }

  public TraceOptions withSeed(long value) {
    return new TraceOptions(format, speedup, apps, split, serviceModel, durations, defaultService, value, onlyApp,
        maxRequests);
  }

  public TraceOptions withOnlyApp(String value) {
    return new TraceOptions(format, speedup, apps, split, serviceModel, durations, defaultService, seed,
        Optional.of(value), maxRequests);
  }

  public TraceOptions withMaxRequests(long value) {
    return new TraceOptions(format, speedup, apps, split, serviceModel, durations, defaultService, seed, onlyApp,
        value);
  }
}

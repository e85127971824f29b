package io.sluice.autoscaler.simulate;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Reads a trace in any of the {@link TraceFormat}s — recognised by its header unless told — and applies the options
 * that change it (time compression, one trace made into several apps). Everything done to the recorded data is
 * recorded in {@link Trace#notes()}, so that a scaled or shifted replay says so wherever its results are shown.
 */
public final class TraceReaders {

  private TraceReaders() {}

  public static Trace read(Path file, TraceOptions options) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new TraceException(file + ": no such file (expected: a trace file; see sluice simulate --help)");
    }
    TraceFormat format = options.format().isPresent() ? options.format().get() : detect(file);
    List<String> comments = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    Trace read;
    switch (format) {
      case CSV -> {
        TraceBuilder builder = RequestCsvReader.read(file, options.onlyApp(), options.maxRequests(), comments);
        addComments(notes, comments);
        options.onlyApp().ifPresent(app -> notes.add("only the requests of app " + app));
        read = builder.build(format, file.toString(), Optional.empty(), notes, Optional.empty());
      }
      case AZURE_LLM -> {
        if (options.onlyApp().isPresent()) {
          throw new TraceException(file + ": --only-app " + options.onlyApp().get() + " (expected: no app filter; an "
              + "Azure LLM trace is one app)");
        }
        TraceBuilder builder = AzureLlmTraceReader.read(file, options.serviceModel(), options.maxRequests(), comments);
        addComments(notes, comments);
        read = builder.build(format, file.toString(), Optional.of(AzureLlmTraceReader.ATTRIBUTION), notes,
            Optional.of(options.serviceModel()));
      }
      case AZURE_FUNCTIONS -> {
        long defaultService = options.defaultService().toNanos();
        AzureFunctionsTraceReader.Read functions = AzureFunctionsTraceReader.read(file, options.durations(),
            defaultService, options.seed(), options.onlyApp(), options.maxRequests(), comments);
        addComments(notes, comments);
        notes.add(AzureFunctionsTraceReader.spreadNote(options.seed()));
        if (options.durations().isPresent()) {
          notes.add(String.format(Locale.ROOT,
              "service time: the Average of %s for %d of %d function(s), %s for the others",
              options.durations().get(), functions.functionsWithDuration(), functions.functions(),
              seconds(defaultService)));
        } else {
          notes.add("service time: " + seconds(defaultService) + " for every invocation (no durations file given)");
        }
        options.onlyApp().ifPresent(app -> notes.add("only the invocations of app " + app));
        read = functions.builder().build(format, file.toString(), Optional.of(AzureFunctionsTraceReader.ATTRIBUTION),
            notes, Optional.empty());
      }
      default -> throw new IllegalStateException("format " + format);
    }
    if (read.size() == 0) {
      throw new TraceException(file + ": no requests" + options.onlyApp().map(app -> " of app " + app).orElse("")
          + " (expected: at least one request after the header)");
    }
    return map(read, options);
  }

  /** The format of {@code file}, from its header line. */
  public static TraceFormat detect(Path file) throws IOException {
    try (TraceLines lines = new TraceLines(file)) {
      String header = lines.header();
      return TraceFormat.detect(header).orElseThrow(() -> lines.problem(
          "header " + (header.length() > 80 ? header.substring(0, 77) + "..." : header.strip())
              + " is none of the known formats",
          TraceFormat.CSV.header() + ", " + TraceFormat.AZURE_LLM.header() + " or "
              + TraceFormat.AZURE_FUNCTIONS.header() + "; or name it with --format"));
    }
  }

  /** Time compression and splitting into several apps; the trace itself when neither is asked for. */
  static Trace map(Trace trace, TraceOptions options) throws TraceException {
    if (options.speedup() == 1 && options.apps() == 1) {
      return trace;
    }
    if (options.apps() > 1 && trace.appLabels().size() != 1) {
      throw new TraceException(trace.source() + ": " + trace.appLabels().size() + " apps already (expected: a "
          + "single-app trace to split into " + options.apps() + " apps; drop --split-apps)");
    }
    List<String> notes = new ArrayList<>(trace.notes());
    double speedup = options.speedup();
    if (speedup != 1) {
      notes.add(String.format(Locale.ROOT, "scaled replay: time compressed x%s, arrivals at 1/%s of their recorded "
          + "times (service times unchanged), so the load is %s times the recorded one", number(speedup),
          number(speedup), number(speedup)));
    }
    int n = trace.size();
    long[] arrivals = new long[n];
    for (int i = 0; i < n; i++) {
      arrivals[i] = Math.round(trace.arrivalNanos(i) / speedup);
    }
    TraceBuilder builder = new TraceBuilder();
    int apps = options.apps();
    if (apps == 1) {
      int app = builder.app(trace.appLabels().get(0));
      for (int i = 0; i < n; i++) {
        builder.add(trace.app(i) == 0 ? app : builder.app(trace.appLabels().get(trace.app(i))), arrivals[i],
            trace.serviceNanos(i));
      }
    } else {
      String base = trace.appLabels().get(0);
      int[] index = new int[apps];
      for (int k = 0; k < apps; k++) {
        index[k] = builder.app(base + "-" + (k + 1));
      }
      if (options.split() == TraceOptions.Split.ROUND_ROBIN) {
        notes.add(String.format(Locale.ROOT, "split replay: the trace shared out round-robin over %d apps (request i "
            + "goes to app i mod %d), each app with 1/%d of the recorded load", apps, apps, apps));
        for (int i = 0; i < n; i++) {
          builder.add(index[i % apps], arrivals[i], trace.serviceNanos(i));
        }
      } else {
        long span = Math.max(1, arrivals[n - 1]);
        notes.add(String.format(Locale.ROOT, "shifted replay: %d apps, each the whole trace, app k shifted by k x %s "
            + "and wrapped around the %s span, so the fleet carries %d times the recorded load", apps,
            seconds(span / apps), seconds(span), apps));
        for (int k = 0; k < apps; k++) {
          long shift = span * k / apps;
          for (int i = 0; i < n; i++) {
            long at = arrivals[i] + shift;
            builder.add(index[k], at >= span && k > 0 ? at - span : at, trace.serviceNanos(i));
          }
        }
      }
    }
    Trace mapped = builder.build(trace.format(), trace.source(), trace.attribution(), notes, trace.serviceModel());
    // The builder counted time from 0 (the recorded start) and put time zero at the first arrival's second: re-anchor
    // that second on the recorded start, so that the buckets keep the trace's own clock.
    Instant start = trace.start().plusSeconds(mapped.start().getEpochSecond());
    return new Trace(mapped.format(), mapped.source(), start, mapped.appLabels(), mapped.apps(), mapped.arrivals(),
        mapped.services(), mapped.attribution(), mapped.notes(), mapped.serviceModel());
  }

  private static void addComments(List<String> notes, List<String> comments) {
    for (String comment : comments) {
      notes.add("the file says: " + comment);
    }
  }

  static String seconds(long nanos) {
    double seconds = nanos / 1e9;
    return seconds == Math.rint(seconds) ? String.format(Locale.ROOT, "%d s", (long) seconds)
        : String.format(Locale.ROOT, "%.3f s", seconds);
  }

  private static String number(double value) {
    return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
  }
}

package io.sluice.autoscaler.simulate;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * The per-minute invocation counts of the Azure Functions trace 2019 ({@code invocations_per_function_md.anon.d*.csv}):
 * {@code HashOwner,HashApp,HashFunction,Trigger,1,2,...,1440}, one row per function, one column per minute of the day.
 * Each minute's invocations are spread uniformly at random over that minute (seeded, so a replay is repeatable); each
 * app ({@code HashApp}) becomes one simulated app.
 *
 * <p>Service times come from the durations file of the same day ({@code function_durations_percentiles.anon.d*.csv}:
 * {@code HashOwner,HashApp,HashFunction,Average,Count,...}, {@code Average} in milliseconds) when one is given, per
 * function; otherwise every invocation takes the default service time.
 */
final class AzureFunctionsTraceReader {

  static final String ATTRIBUTION = "Format: Azure Functions trace 2019 (Azure Public Dataset), from Mohammad "
      + "Shahrad et al., \"Serverless in the Wild: Characterizing and Optimizing the Serverless Workload at a Large Cloud "
      + "Provider\", USENIX ATC 2020. License of the data set: CC BY 4.0 - keep this attribution with results "
      + "derived from it.";

  private static final long NANOS_PER_MINUTE = 60_000_000_000L;
  private static final int FIRST_MINUTE_COLUMN = 4;

  private AzureFunctionsTraceReader() {}

  /** What the reader did, for the notes printed with results. */
  record Read(TraceBuilder builder, int functions, int functionsWithDuration) {}

  static Read read(Path file, Optional<Path> durationsFile, long defaultServiceNanos, long seed,
      Optional<String> onlyApp, long maxRequests, List<String> comments) throws IOException {
    Map<String, Long> durations = durationsFile.isPresent() ? durations(durationsFile.get()) : Map.of();
    TraceBuilder builder = new TraceBuilder();
    SplittableRandom random = new SplittableRandom(seed);
    int functions = 0;
    int withDuration = 0;
    long total = 0;
    try (TraceLines lines = new TraceLines(file)) {
      String header = lines.header();
      String[] columns = TraceLines.fields(header);
      if (TraceFormat.detect(header).orElse(null) != TraceFormat.AZURE_FUNCTIONS) {
        throw lines.problem("header " + shorten(header), TraceFormat.AZURE_FUNCTIONS.header());
      }
      int minutes = columns.length - FIRST_MINUTE_COLUMN;
      for (int m = 0; m < minutes; m++) {
        if (!columns[FIRST_MINUTE_COLUMN + m].trim().equals(Integer.toString(m + 1))) {
          throw lines.problem("header column " + (FIRST_MINUTE_COLUMN + m + 1) + ": "
              + columns[FIRST_MINUTE_COLUMN + m].trim(), "minute " + (m + 1) + " (columns 1,2,...,1440)");
        }
      }
      for (String line = lines.next(); line != null; line = lines.next()) {
        String[] fields = TraceLines.fields(line);
        if (fields.length != columns.length) {
          throw lines.problem(fields.length + " field(s)", columns.length + ", as the header");
        }
        String app = fields[1].trim();
        if (app.isEmpty()) {
          throw lines.problem("HashApp: empty", "the app's hash");
        }
        if (onlyApp.isPresent() && !onlyApp.get().equals(app)) {
          continue;
        }
        functions++;
        Long duration = durations.get(key(fields[0], fields[1], fields[2]));
        long service = duration != null ? duration : defaultServiceNanos;
        if (duration != null) {
          withDuration++;
        }
        int appIndex = builder.app(app);
        for (int m = 0; m < minutes; m++) {
          String count = fields[FIRST_MINUTE_COLUMN + m].trim();
          int invocations;
          try {
            invocations = count.isEmpty() ? 0 : Integer.parseInt(count);
          } catch (NumberFormatException e) {
            throw lines.problem("minute " + (m + 1) + ": " + count, "an invocation count >= 0");
          }
          if (invocations < 0) {
            throw lines.problem("minute " + (m + 1) + ": " + count, "an invocation count >= 0");
          }
          total += invocations;
          if (total > maxRequests) {
            throw lines.problem("more than " + maxRequests + " invocations",
                "at most " + maxRequests + " (choose one app with --only-app HASHAPP)");
          }
          long minuteStart = m * NANOS_PER_MINUTE;
          for (int i = 0; i < invocations; i++) {
            builder.add(appIndex, minuteStart + (long) (random.nextDouble() * NANOS_PER_MINUTE), service);
          }
        }
      }
      comments.addAll(lines.comments());
    }
    return new Read(builder, functions, withDuration);
  }

  /** Average duration (ms in the file) of each function, in nanoseconds, keyed by owner, app and function. */
  private static Map<String, Long> durations(Path file) throws IOException {
    Map<String, Long> durations = new HashMap<>();
    try (TraceLines lines = new TraceLines(file)) {
      String[] columns = TraceLines.fields(lines.header());
      int average = -1;
      for (int i = 0; i < columns.length; i++) {
        if (columns[i].trim().equals("Average")) {
          average = i;
        }
      }
      if (columns.length < 4 || !columns[0].trim().equals("HashOwner") || !columns[1].trim().equals("HashApp")
          || !columns[2].trim().equals("HashFunction") || average < 0) {
        throw lines.problem("header " + shorten(String.join(",", columns)),
            "HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,...");
      }
      for (String line = lines.next(); line != null; line = lines.next()) {
        String[] fields = TraceLines.fields(line);
        if (fields.length <= average) {
          throw lines.problem(fields.length + " field(s)", columns.length + ", as the header");
        }
        double ms;
        try {
          ms = Double.parseDouble(fields[average].trim());
        } catch (NumberFormatException e) {
          throw lines.problem("Average: " + fields[average].trim(), "milliseconds >= 0");
        }
        if (!(ms >= 0) || Double.isInfinite(ms)) {
          throw lines.problem("Average: " + fields[average].trim(), "milliseconds >= 0");
        }
        durations.put(key(fields[0], fields[1], fields[2]), Math.round(ms * 1_000_000));
      }
    }
    return durations;
  }

  private static String key(String owner, String app, String function) {
    return owner.trim() + ',' + app.trim() + ',' + function.trim();
  }

  private static String shorten(String header) {
    return header.length() <= 80 ? header.strip() : header.substring(0, 77).strip() + "...";
  }

  static String spreadNote(long seed) {
    return String.format(Locale.ROOT,
        "per-minute invocation counts spread uniformly at random within their minute (seed %d)", seed);
  }
}

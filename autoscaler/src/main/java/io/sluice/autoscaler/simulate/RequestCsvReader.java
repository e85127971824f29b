package io.sluice.autoscaler.simulate;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Sluice's own trace format: a header naming {@code arrival_seconds}, {@code app} and {@code service_seconds} (in any
 * order; other columns are ignored), then one request a line. Arrival times are seconds on any time line the file
 * shares (since the trace began, or since the epoch); service times are seconds a replica takes to serve the request.
 */
final class RequestCsvReader {

  private static final String HEADER = "arrival_seconds,app,service_seconds";

  private RequestCsvReader() {}

  static TraceBuilder read(Path file, Optional<String> onlyApp, long maxRequests, List<String> comments)
      throws IOException {
    TraceBuilder builder = new TraceBuilder();
    try (TraceLines lines = new TraceLines(file)) {
      List<String> columns = Arrays.stream(TraceLines.fields(lines.header())).map(String::trim).toList();
      int arrivalColumn = columns.indexOf("arrival_seconds");
      int appColumn = columns.indexOf("app");
      int serviceColumn = columns.indexOf("service_seconds");
      if (arrivalColumn < 0 || appColumn < 0 || serviceColumn < 0) {
        throw lines.problem("header " + String.join(",", columns), HEADER);
      }
      int needed = Math.max(arrivalColumn, Math.max(appColumn, serviceColumn)) + 1;
      for (String line = lines.next(); line != null; line = lines.next()) {
        String[] fields = TraceLines.fields(line);
        if (fields.length < needed) {
          throw lines.problem(fields.length + " field(s)", columns.size() + " fields: " + String.join(",", columns));
        }
        String app = fields[appColumn].trim();
        if (app.isEmpty()) {
          throw lines.problem("app: empty", "an app name");
        }
        if (onlyApp.isPresent() && !onlyApp.get().equals(app)) {
          continue;
        }
        double arrival = seconds(lines, fields[arrivalColumn], "arrival_seconds");
        double service = seconds(lines, fields[serviceColumn], "service_seconds");
        if (builder.size() >= maxRequests) {
          throw lines.problem("more than " + maxRequests + " requests", "at most " + maxRequests
              + " (choose one app with --only-app)");
        }
        builder.add(builder.app(app), Math.round(arrival * 1e9), Math.round(service * 1e9));
      }
      comments.addAll(lines.comments());
    }
    return builder;
  }

  private static double seconds(TraceLines lines, String text, String column) throws TraceException {
    double value;
    try {
      value = Double.parseDouble(text.trim());
    } catch (NumberFormatException e) {
      throw lines.problem(column + ": " + text.trim(), "a number of seconds");
    }
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw lines.problem(column + ": " + text.trim(), "a finite number of seconds >= 0");
    }
    return value;
  }
}

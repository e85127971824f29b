package io.sluice.autoscaler.simulate;

import java.io.IOException;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;

/**
 * The Azure LLM inference trace 2023 ({@code AzureLLMInferenceTrace_code.csv}, {@code _conv.csv}):
 * {@code TIMESTAMP,ContextTokens,GeneratedTokens}, timestamps as {@code YYYY-MM-DD HH:MM:SS.fffffff}, read as UTC. The
 * trace records no service times: each request's comes from its tokens through a {@link ServiceTimeModel}. All requests
 * go to one app, {@code llm}.
 */
final class AzureLlmTraceReader {

  static final String APP = "llm";
  static final String ATTRIBUTION = "Data: Azure LLM inference trace 2023 (Azure Public Dataset), from Pratyush Patel, "
      + "Esha Choukse, Chaojie Zhang, Aashaka Shah, Inigo Goiri, Saeed Maleki, Ricardo Bianchini, \"Splitwise: "
      + "Efficient generative LLM inference using phase splitting\", ISCA 2024. License: CC BY 4.0.";

  private static final long NANOS_PER_SECOND = 1_000_000_000L;
  private static final String TIMESTAMP = "a timestamp YYYY-MM-DD HH:MM:SS[.fffffff]";

  private AzureLlmTraceReader() {}

  static TraceBuilder read(Path file, ServiceTimeModel model, long maxRequests, List<String> comments)
      throws IOException {
    TraceBuilder builder = new TraceBuilder();
    int app = builder.app(APP);
    try (TraceLines lines = new TraceLines(file)) {
      String header = lines.header();
      if (TraceFormat.detect(header).orElse(null) != TraceFormat.AZURE_LLM) {
        throw lines.problem("header " + header.strip(), TraceFormat.AZURE_LLM.header());
      }
      for (String line = lines.next(); line != null; line = lines.next()) {
        String[] fields = TraceLines.fields(line);
        if (fields.length != 3) {
          throw lines.problem(fields.length + " field(s)", "3: " + TraceFormat.AZURE_LLM.header());
        }
        long arrival = epochNanos(lines, fields[0].trim());
        long context = tokens(lines, fields[1], "ContextTokens");
        long generated = tokens(lines, fields[2], "GeneratedTokens");
        if (builder.size() >= maxRequests) {
          throw lines.problem("more than " + maxRequests + " requests", "at most " + maxRequests);
        }
        builder.add(app, arrival, model.serviceNanos(context, generated));
      }
      comments.addAll(lines.comments());
    }
    return builder;
  }

  /** {@code 2023-11-16 18:15:46.6805900} as nanoseconds since the epoch, UTC. Hand-parsed: a million rows a second. */
  static long epochNanos(TraceLines lines, String text) throws TraceException {
    if (text.length() < 19 || text.charAt(4) != '-' || text.charAt(7) != '-' || text.charAt(10) != ' '
        || text.charAt(13) != ':' || text.charAt(16) != ':') {
      throw lines.problem("TIMESTAMP: " + text, TIMESTAMP);
    }
    try {
      int year = digits(text, 0, 4);
      int month = digits(text, 5, 7);
      int day = digits(text, 8, 10);
      int hour = digits(text, 11, 13);
      int minute = digits(text, 14, 16);
      int second = digits(text, 17, 19);
      long fraction = 0;
      if (text.length() > 19) {
        if (text.charAt(19) != '.' || text.length() == 20 || text.length() > 29) {
          throw lines.problem("TIMESTAMP: " + text, TIMESTAMP);
        }
        fraction = digits(text, 20, text.length());
        for (int i = text.length() - 20; i < 9; i++) {
          fraction *= 10;
        }
      }
      if (hour > 23 || minute > 59 || second > 59) {
        throw lines.problem("TIMESTAMP: " + text, TIMESTAMP);
      }
      long epochDay = LocalDate.of(year, month, day).toEpochDay();
      long seconds = epochDay * 86_400 + hour * 3600L + minute * 60L + second;
      return seconds * NANOS_PER_SECOND + fraction;
    } catch (NumberFormatException | java.time.DateTimeException e) {
      throw lines.problem("TIMESTAMP: " + text, TIMESTAMP);
    }
  }

  private static int digits(String text, int from, int to) {
    int value = 0;
    for (int i = from; i < to; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        throw new NumberFormatException(text);
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }

  private static long tokens(TraceLines lines, String text, String column) throws TraceException {
    try {
      long value = Long.parseLong(text.trim());
      if (value < 0) {
        throw lines.problem(column + ": " + text.trim(), "a token count >= 0");
      }
      return value;
    } catch (NumberFormatException e) {
      throw lines.problem(column + ": " + text.trim(), "a token count >= 0");
    }
  }
}

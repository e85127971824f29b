package io.sluice.autoscaler.simulate;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/** The request-trace formats {@code sluice simulate} reads, each recognised by its header line. */
public enum TraceFormat {
  /** Sluice's own: {@code arrival_seconds,app,service_seconds}, one request a line. */
  CSV("csv", "arrival_seconds,app,service_seconds"),
  /** The Azure LLM inference trace 2023: {@code TIMESTAMP,ContextTokens,GeneratedTokens}. */
  AZURE_LLM("azure-llm", "TIMESTAMP,ContextTokens,GeneratedTokens"),
  /**
   * The Azure Functions trace 2019, per-minute invocation counts:
   * {@code HashOwner,HashApp,HashFunction,Trigger,1,..,1440}.
   */
  AZURE_FUNCTIONS("azure-functions", "HashOwner,HashApp,HashFunction,Trigger,1,2,...,1440");

  private final String cliName;
  private final String header;

  TraceFormat(String cliName, String header) {
    this.cliName = cliName;
    this.header = header;
  }

  /** The name {@code --format} takes. */
  public String cliName() {
    return cliName;
  }

  /** Whether the format's times are wall-clock instants (else seconds on the trace's own time line). */
  public boolean wallClock() {
    return this == AZURE_LLM;
  }

  /** The header line that identifies the format, as the reader expects it. */
  public String header() {
    return header;
  }

  /** The format whose header {@code headerLine} is; empty when none matches. */
  public static Optional<TraceFormat> detect(String headerLine) {
    List<String> columns = Arrays.stream(headerLine.split(",", -1)).map(String::trim).toList();
    if (columns.size() >= 3 && columns.contains("arrival_seconds") && columns.contains("app")
        && columns.contains("service_seconds")) {
      return Optional.of(CSV);
    }
    if (columns.size() == 3 && columns.get(0).equalsIgnoreCase("TIMESTAMP")
        && columns.get(1).equalsIgnoreCase("ContextTokens") && columns.get(2).equalsIgnoreCase("GeneratedTokens")) {
      return Optional.of(AZURE_LLM);
    }
    if (columns.size() >= 5 && columns.get(0).equals("HashOwner") && columns.get(1).equals("HashApp")
        && columns.get(2).equals("HashFunction") && columns.get(3).equals("Trigger") && columns.get(4).equals("1")) {
      return Optional.of(AZURE_FUNCTIONS);
    }
    return Optional.empty();
  }

  /** The format named {@code name} ({@code csv}, {@code azure-llm}, {@code azure-functions}). */
  public static TraceFormat parse(String name) {
    String wanted = name.trim().toLowerCase(Locale.ROOT);
    for (TraceFormat format : values()) {
      if (format.cliName.equals(wanted)) {
        return format;
      }
    }
    throw new IllegalArgumentException("format: " + name + " (expected: auto, "
        + String.join(", ", Arrays.stream(values()).map(TraceFormat::cliName).toList()) + ")");
  }
}

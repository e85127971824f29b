package io.sluice.config;

import java.util.Map;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Kubernetes resource quantities as Truss writes them: {@code resources.cpu: "500m"}, {@code memory: 2Gi}. */
final class ResourceQuantity {

  /** Sluice counts memory in GB of 2^30 bytes (Kubernetes' Gi), so that Truss's "2Gi" and Cerebrium's 2 agree. */
  static final double BYTES_PER_GB = 1L << 30;

  // The number is read with Double.parseDouble, which rounds as exactly as BigDecimal and is linear in the digits:
  // new BigDecimal(text) is quadratic, and the million digits a 1 MiB file can hold took it 20 s.
  private static final Pattern QUANTITY = Pattern.compile("(\\d+(?:\\.\\d*)?|\\.\\d+)([A-Za-z]*)");
  private static final Map<String, Double> MEMORY_SUFFIXES = Map.ofEntries(
      Map.entry("", 1.0),
      Map.entry("k", 1e3), Map.entry("M", 1e6), Map.entry("G", 1e9), Map.entry("T", 1e12), Map.entry("P", 1e15),
      Map.entry("E", 1e18),
      Map.entry("Ki", 0x1p10), Map.entry("Mi", 0x1p20), Map.entry("Gi", 0x1p30), Map.entry("Ti", 0x1p40),
      Map.entry("Pi", 0x1p50), Map.entry("Ei", 0x1p60));

  private ResourceQuantity() {}

  /** vCPUs from {@code "2"}, {@code "1.5"} or {@code "500m"}; empty when the text is no CPU quantity. */
  static OptionalDouble cpus(String text) {
    Matcher quantity = QUANTITY.matcher(text.strip());
    if (!quantity.matches()) {
      return OptionalDouble.empty();
    }
    double number = Double.parseDouble(quantity.group(1));
    return switch (quantity.group(2)) {
      case "" -> OptionalDouble.of(number);
      case "m" -> OptionalDouble.of(number / 1000);
      default -> OptionalDouble.empty();
    };
  }

  /**
   * GB (of 2^30 bytes) from {@code "512Mi"}, {@code "2Gi"} or {@code "16G"}; a bare number is bytes, as in Kubernetes.
   */
  static OptionalDouble gigabytes(String text) {
    Matcher quantity = QUANTITY.matcher(text.strip());
    if (!quantity.matches() || !MEMORY_SUFFIXES.containsKey(quantity.group(2))) {
      return OptionalDouble.empty();
    }
    double bytes = Double.parseDouble(quantity.group(1)) * MEMORY_SUFFIXES.get(quantity.group(2));
    return OptionalDouble.of(bytes / BYTES_PER_GB);
  }
}

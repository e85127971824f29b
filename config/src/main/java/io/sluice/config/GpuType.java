package io.sluice.config;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * GPU models an app can ask for, with the names each format uses for them.
 *
 * <p>Cerebrium names compute as {@code ADA_L4}, {@code AMPERE_A10}, {@code HOPPER_H100}...; Truss names an accelerator
 * as {@code L4}, {@code A10G}, {@code H100}... (optionally {@code :count}).
 */
public enum GpuType {
  T4(List.of("TURING_T4"), List.of("T4")),
  L4(List.of("ADA_L4"), List.of("L4")),
  A10(List.of("AMPERE_A10"), List.of("A10G", "A10")),
  L40(List.of("ADA_L40"), List.of("L40", "L40S")),
  V100(List.of(), List.of("V100")),
  A100_40GB(List.of("AMPERE_A100_40GB", "AMPERE_A100"), List.of("A100_40GB")),
  A100_80GB(List.of("AMPERE_A100_80GB"), List.of("A100", "A100_80GB")),
  H100(List.of("HOPPER_H100"), List.of("H100", "H100_40GB")),
  H200(List.of("HOPPER_H200"), List.of("H200")),
  B200(List.of("BLACKWELL_B200"), List.of("B200"));

  private final List<String> cerebriumNames;
  private final List<String> trussNames;

  GpuType(List<String> cerebriumNames, List<String> trussNames) {
    this.cerebriumNames = cerebriumNames;
    this.trussNames = trussNames;
  }

  public static Optional<GpuType> fromCerebrium(String compute) {
    String wanted = compute.trim().toUpperCase(Locale.ROOT);
    for (GpuType type : values()) {
      if (type.cerebriumNames.contains(wanted)) {
        return Optional.of(type);
      }
    }
    return Optional.empty();
  }

  public static Optional<GpuType> fromTruss(String accelerator) {
    String wanted = accelerator.trim().toUpperCase(Locale.ROOT);
    for (GpuType type : values()) {
      if (type.trussNames.contains(wanted)) {
        return Optional.of(type);
      }
    }
    return Optional.empty();
  }

  /** Every name that {@link #fromCerebrium} accepts, for error messages. */
  public static List<String> cerebriumNames() {
    return java.util.Arrays.stream(values()).flatMap(t -> t.cerebriumNames.stream()).toList();
  }

  /** Every name that {@link #fromTruss} accepts, for error messages. */
  public static List<String> trussNames() {
    return java.util.Arrays.stream(values()).flatMap(t -> t.trussNames.stream()).toList();
  }
}

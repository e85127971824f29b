package io.sluice.config;

import java.util.Objects;
import java.util.Optional;

/** What one replica needs: a GPU model and count (none for a CPU app), vCPUs and memory. */
public record HardwareSpec(Optional<GpuType> gpu, int gpuCount, double cpu, double memoryGb) {

  public static final HardwareSpec CPU_DEFAULT = new HardwareSpec(Optional.empty(), 0, 2.0, 4.0);

  public HardwareSpec {
    Objects.requireNonNull(gpu, "gpu");
    if (gpu.isPresent() && gpuCount < 1) {
      throw new IllegalArgumentException("gpuCount: " + gpuCount + " (expected: >= 1 when a GPU is named)");
    }
    if (gpu.isEmpty() && gpuCount != 0) {
      throw new IllegalArgumentException("gpuCount: " + gpuCount + " (expected: 0 when no GPU is named)");
    }
    if (!(cpu > 0)) {
      throw new IllegalArgumentException("cpu: " + cpu + " (expected: > 0)");
    }
    if (!(memoryGb > 0)) {
      throw new IllegalArgumentException("memoryGb: " + memoryGb + " (expected: > 0)");
    }
  }
}

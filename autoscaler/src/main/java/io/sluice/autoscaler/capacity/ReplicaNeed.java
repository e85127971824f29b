package io.sluice.autoscaler.capacity;

import io.sluice.config.GpuType;
import io.sluice.config.HardwareSpec;
import io.sluice.config.NodePoolSpec;
import java.util.Objects;
import java.util.Optional;

/**
 * What one replica takes from the node it runs on: GPUs of one model (none for a CPU app), vCPUs and memory.
 *
 * @param gpu the GPU model; empty for a CPU app, which runs only in a CPU pool
 * @param gpuCount GPUs on one node: at least 1 with a GPU, 0 without
 */
public record ReplicaNeed(Optional<GpuType> gpu, int gpuCount, double cpu, double memoryGb) {

  public ReplicaNeed {
    Objects.requireNonNull(gpu, "gpu");
    if (gpu.isPresent() && gpuCount < 1) {
      throw new IllegalArgumentException("gpuCount: " + gpuCount + " (expected: >= 1 when a GPU is named)");
    }
    if (gpu.isEmpty() && gpuCount != 0) {
      throw new IllegalArgumentException("gpuCount: " + gpuCount + " (expected: 0 when no GPU is named)");
    }
    if (!(cpu > 0) || Double.isInfinite(cpu)) {
      throw new IllegalArgumentException("cpu: " + cpu + " (expected: > 0)");
    }
    if (!(memoryGb > 0) || Double.isInfinite(memoryGb)) {
      throw new IllegalArgumentException("memoryGb: " + memoryGb + " (expected: > 0)");
    }
  }

  /** The app's hardware, as each of its replicas needs it. */
  public static ReplicaNeed of(HardwareSpec hardware) {
    Objects.requireNonNull(hardware, "hardware");
    return new ReplicaNeed(hardware.gpu(), hardware.gpuCount(), hardware.cpu(), hardware.memoryGb());
  }

  /** A GPU pool's nodes carry the GPU this replica needs; a CPU pool takes only replicas that need no GPU. */
  public boolean matches(NodePoolSpec pool) {
    return pool.gpu().equals(gpu);
  }

  /**
   * The size of this replica in the unit that is scarce in its pool, used to share a short pool fairly: GPUs in a GPU
   * pool, vCPUs in a CPU pool.
   */
  public double shareUnits() {
    return gpu.isPresent() ? gpuCount : cpu;
  }

  /** Why this replica can never fit on a node of {@code pool}, even an empty one; empty when it can. */
  Optional<String> whyNeverFits(NodePoolSpec pool) {
    if (gpuCount > pool.gpusPerNode()) {
      return Optional.of("a replica needs " + gpuCount + " x " + gpu.orElseThrow() + " but nodes of pool "
          + pool.name() + " have " + pool.gpusPerNode());
    }
    if (pool.cpusPerNode().isPresent() && cpu > pool.cpusPerNode().getAsDouble() + NodeLoad.EPSILON) {
      return Optional.of("a replica needs " + NodeLoad.number(cpu) + " vCPUs but nodes of pool " + pool.name()
          + " have " + NodeLoad.number(pool.cpusPerNode().getAsDouble()));
    }
    if (pool.memoryGbPerNode().isPresent() && memoryGb > pool.memoryGbPerNode().getAsDouble() + NodeLoad.EPSILON) {
      return Optional.of("a replica needs " + NodeLoad.number(memoryGb) + " GB of memory but nodes of pool "
          + pool.name() + " have " + NodeLoad.number(pool.memoryGbPerNode().getAsDouble()));
    }
    return Optional.empty();
  }

  /** {@code "2 x H100, 8 vCPU, 32 GB"} or {@code "CPU, 2 vCPU, 4 GB"}. */
  @Override
  public String toString() {
    return gpu.map(type -> gpuCount + " x " + type).orElse("CPU") + ", " + NodeLoad.number(cpu) + " vCPU, "
        + NodeLoad.number(memoryGb) + " GB";
  }
}

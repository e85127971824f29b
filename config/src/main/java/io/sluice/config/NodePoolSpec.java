package io.sluice.config;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * A group of identical machines that replicas run on, as a node's {@code sluice.toml} declares it.
 *
 * <p>A GPU pool's nodes each carry {@code gpusPerNode} GPUs of one model; a CPU pool's nodes carry none and run only
 * apps that ask for no GPU. Nodes are started (provisioned) when replicas need room and stopped (released) after they
 * have been empty for {@code idleNodeDelay}; the pool never has fewer than {@code minNodes} nor more than
 * {@code maxNodes}.
 *
 * @param name the pool's name (a DNS label), shown in pending reasons ({@code waiting for a node in pool l4})
 * @param gpu the GPU model of every node; empty for a CPU pool
 * @param gpusPerNode GPUs on each node: at least 1 in a GPU pool, 0 in a CPU pool
 * @param minNodes nodes kept even when empty
 * @param maxNodes the most nodes the pool may have, provisioning ones included
 * @param provisionTime how long a new node takes from being asked for to running replicas
 * @param idleNodeDelay how long a node must stay empty before it is released
 * @param cpusPerNode vCPUs on each node that replicas may use; empty when vCPUs do not limit placement
 * @param memoryGbPerNode memory on each node that replicas may use, in GB; empty when memory does not limit placement
 */
public record NodePoolSpec(
    String name,
    Optional<GpuType> gpu,
    int gpusPerNode,
    int minNodes,
    int maxNodes,
    Duration provisionTime,
    Duration idleNodeDelay,
    OptionalDouble cpusPerNode,
    OptionalDouble memoryGbPerNode) {

  public NodePoolSpec {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(gpu, "gpu");
    Objects.requireNonNull(provisionTime, "provisionTime");
    Objects.requireNonNull(idleNodeDelay, "idleNodeDelay");
    Objects.requireNonNull(cpusPerNode, "cpusPerNode");
    Objects.requireNonNull(memoryGbPerNode, "memoryGbPerNode");
    require(AppId.NAME.matcher(name).matches(), "name", name, AppId.NAME_RULE);
    if (gpu.isPresent()) {
      require(gpusPerNode >= 1, "gpusPerNode", gpusPerNode, ">= 1 when a GPU is named");
    } else {
      require(gpusPerNode == 0, "gpusPerNode", gpusPerNode, "0 when no GPU is named");
    }
    require(minNodes >= 0, "minNodes", minNodes, ">= 0");
    require(maxNodes >= 1, "maxNodes", maxNodes, ">= 1");
    require(minNodes <= maxNodes, "minNodes", minNodes, "<= maxNodes (" + maxNodes + ")");
    require(!provisionTime.isNegative(), "provisionTime", provisionTime, ">= 0");
    require(!idleNodeDelay.isNegative(), "idleNodeDelay", idleNodeDelay, ">= 0");
    require(positiveIfPresent(cpusPerNode), "cpusPerNode", cpusPerNode, "> 0, or empty for no limit");
    require(positiveIfPresent(memoryGbPerNode), "memoryGbPerNode", memoryGbPerNode, "> 0, or empty for no limit");
  }

  /** A pool whose nodes are limited by GPUs only (vCPUs and memory do not limit placement). */
  public NodePoolSpec(String name, Optional<GpuType> gpu, int gpusPerNode, int minNodes, int maxNodes,
      Duration provisionTime, Duration idleNodeDelay) {
    this(name, gpu, gpusPerNode, minNodes, maxNodes, provisionTime, idleNodeDelay, OptionalDouble.empty(),
        OptionalDouble.empty());
  }

  public boolean isCpuPool() {
    return gpu.isEmpty();
  }

  /** {@code "l4 (2 x L4 per node)"} or {@code "local (CPU)"}: the pool as an admin reads it. */
  public String describe() {
    return name + gpu.map(type -> " (" + gpusPerNode + " x " + type + " per node)").orElse(" (CPU)");
  }

  private static boolean positiveIfPresent(OptionalDouble value) {
    return value.isEmpty() || (value.getAsDouble() > 0 && Double.isFinite(value.getAsDouble()));
  }

  private static void require(boolean ok, String key, Object value, String expected) {
    if (!ok) {
      throw new IllegalArgumentException(key + ": " + value + " (expected: " + expected + ")");
    }
  }
}

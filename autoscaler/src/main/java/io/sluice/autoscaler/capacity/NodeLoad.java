package io.sluice.autoscaler.capacity;

import io.sluice.config.NodePoolSpec;

/** What the replicas on one node (and the replicas waiting for it) take of it. */
record NodeLoad(int gpus, double cpu, double memoryGb, int replicas) {

  static final NodeLoad EMPTY = new NodeLoad(0, 0, 0, 0);

  /** vCPUs and memory are sums of decimals such as 0.1; a replica that fits exactly must not miss by a rounding. */
  static final double EPSILON = 1e-9;

  NodeLoad plus(ReplicaNeed need) {
    return new NodeLoad(gpus + need.gpuCount(), cpu + need.cpu(), memoryGb + need.memoryGb(), replicas + 1);
  }

  NodeLoad minus(ReplicaNeed need) {
    return new NodeLoad(gpus - need.gpuCount(), cpu - need.cpu(), memoryGb - need.memoryGb(), replicas - 1);
  }

  boolean isEmpty() {
    return replicas == 0;
  }

  /** Whether one more replica with {@code need} fits on a node of {@code pool} carrying this load. */
  boolean fits(ReplicaNeed need, NodePoolSpec pool) {
    if (!need.matches(pool) || gpus + need.gpuCount() > pool.gpusPerNode()) {
      return false;
    }
    if (pool.cpusPerNode().isPresent() && cpu + need.cpu() > pool.cpusPerNode().getAsDouble() + EPSILON) {
      return false;
    }
    return pool.memoryGbPerNode().isEmpty() || memoryGb + need.memoryGb() <= pool.memoryGbPerNode().getAsDouble()
        + EPSILON;
  }

  /** How full the node is in the pool's scarce unit: GPUs in a GPU pool, vCPUs in a CPU pool. */
  double units(NodePoolSpec pool) {
    return pool.isCpuPool() ? cpu : gpus;
  }

  /** {@code 2} for 2.0, {@code 0.5} for 0.5: numbers in messages as a person would write them. */
  static String number(double value) {
    return value == Math.rint(value) && Math.abs(value) < 1e15 ? Long.toString((long) value) : Double.toString(value);
  }
}

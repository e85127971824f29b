package io.sluice.autoscaler.capacity;

import io.sluice.autoscaler.replica.ReplicaId;
import io.sluice.config.AppId;
import io.sluice.config.GpuType;
import io.sluice.config.NodePoolSpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The fleet's GPU capacity at one moment: the node pools, their nodes (provisioning until a ready-at instant, then
 * ready), and which replica holds capacity on which node.
 *
 * <p>An immutable value. {@link Placement#decide} takes one and the time, and returns the next one inside its
 * {@link PlacementPlan}; whoever runs the ticks keeps the latest and passes it back on the next tick. Nothing here
 * reads a clock. The model has one owner in the fleet, since the apps it places share the pools.
 *
 * <p>Each app runs in exactly one pool: the pool of its GPU model, or the CPU pool for an app without GPU. So there is
 * at most one pool per GPU model and at most one CPU pool ({@code NodeConfigReader} refuses files that say otherwise).
 *
 * @param waitingSince for each app that wanted more replicas than it had on the last tick, since when it has waited
 *     without interruption; breaks ties when a short pool is shared
 * @param nextNodeSerial the serial of the next node asked for, in any pool
 * @param nextReplicaSerial the serial of the next replica placed, named {@code <app name>-<serial>}
 */
public record CapacityModel(
    List<NodePoolSpec> pools,
    List<Node> nodes,
    List<PlacedReplica> replicas,
    Map<AppId, Instant> waitingSince,
    long nextNodeSerial,
    long nextReplicaSerial) {

  public CapacityModel {
    pools = List.copyOf(Objects.requireNonNull(pools, "pools"));
    nodes = List.copyOf(Objects.requireNonNull(nodes, "nodes"));
    replicas = List.copyOf(Objects.requireNonNull(replicas, "replicas"));
    waitingSince = Map.copyOf(Objects.requireNonNull(waitingSince, "waitingSince"));
    checkOnePoolEach(pools);
    Set<String> poolNames = new HashSet<>();
    pools.forEach(pool -> poolNames.add(pool.name()));
    Set<NodeId> nodeIds = new HashSet<>();
    for (Node node : nodes) {
      if (!poolNames.contains(node.id().pool())) {
        throw new IllegalArgumentException("nodes: " + node.id() + " (expected: a node of one of the pools)");
      }
      if (!nodeIds.add(node.id()) || node.id().serial() >= nextNodeSerial) {
        throw new IllegalArgumentException("nodes: " + node.id()
            + " (expected: each node once, with a serial below nextNodeSerial " + nextNodeSerial + ")");
      }
    }
    Set<ReplicaId> replicaIds = new HashSet<>();
    for (PlacedReplica replica : replicas) {
      if (!nodeIds.contains(replica.node())) {
        throw new IllegalArgumentException("replicas: " + replica + " (expected: on one of the nodes)");
      }
      if (!replicaIds.add(replica.replica())) {
        throw new IllegalArgumentException("replicas: " + replica.replica() + " twice (expected: each once)");
      }
    }
    if (nextReplicaSerial < 1) {
      throw new IllegalArgumentException("nextReplicaSerial: " + nextReplicaSerial + " (expected: >= 1)");
    }
  }

  /** Pools with no nodes yet: the first {@link Placement#decide} asks each pool for its {@code min_nodes}. */
  public static CapacityModel empty(List<NodePoolSpec> pools) {
    return new CapacityModel(pools, List.of(), List.of(), Map.of(), 1, 1);
  }

  public Optional<NodePoolSpec> pool(String name) {
    return pools.stream().filter(pool -> pool.name().equals(name)).findFirst();
  }

  /** The pool a replica with {@code need} runs in: the one with its GPU model, or the CPU pool. */
  public Optional<NodePoolSpec> poolFor(ReplicaNeed need) {
    return pools.stream().filter(need::matches).findFirst();
  }

  public Optional<Node> node(NodeId id) {
    return nodes.stream().filter(node -> node.id().equals(id)).findFirst();
  }

  public List<Node> nodesOf(String pool) {
    return nodes.stream().filter(node -> node.id().pool().equals(pool)).toList();
  }

  public List<PlacedReplica> replicasOf(AppId app) {
    return replicas.stream().filter(replica -> replica.replica().app().equals(app)).toList();
  }

  public List<PlacedReplica> replicasOn(NodeId node) {
    return replicas.stream().filter(replica -> replica.node().equals(node)).toList();
  }

  /** GPUs in use on {@code node}. */
  public int gpusUsed(NodeId node) {
    return replicasOn(node).stream().mapToInt(replica -> replica.need().gpuCount()).sum();
  }

  /**
   * The model without {@code replica}, for a replica that died or was stopped outside placement; its capacity is
   * free at once, and its app's decider will want it back on a later tick if it still needs it.
   */
  public CapacityModel withoutReplica(ReplicaId replica) {
    Objects.requireNonNull(replica, "replica");
    List<PlacedReplica> left = new ArrayList<>(replicas);
    if (!left.removeIf(placed -> placed.replica().equals(replica))) {
      return this;
    }
    return new CapacityModel(pools, nodes, left, waitingSince, nextNodeSerial, nextReplicaSerial);
  }

  /**
   * The model with a replica that already runs but is not in it: what a new owner of the model does with the fleet's
   * replicas when it takes over. The replica goes on the fullest node of its pool it fits on; when none has room, on a
   * new node, ready now, since the replica is evidently running. A replica already in the model, or of no pool, leaves
   * it as it is.
   */
  public CapacityModel adopt(ReplicaId replica, ReplicaNeed need, Instant now) {
    Objects.requireNonNull(replica, "replica");
    Optional<NodePoolSpec> pool = poolFor(need);
    if (pool.isEmpty() || replicas.stream().anyMatch(placed -> placed.replica().equals(replica))) {
      return this;
    }
    Map<NodeId, NodeLoad> loads = new HashMap<>();
    for (PlacedReplica placed : replicas) {
      loads.merge(placed.node(), NodeLoad.EMPTY.plus(placed.need()), (a, b) -> a.plus(placed.need()));
    }
    Optional<Node> host = nodesOf(pool.get().name()).stream()
        .filter(node -> loads.getOrDefault(node.id(), NodeLoad.EMPTY).fits(need, pool.get()))
        .max(java.util.Comparator.comparingDouble(
            (Node node) -> loads.getOrDefault(node.id(), NodeLoad.EMPTY).units(pool.get())));
    List<Node> nextNodes = new ArrayList<>(nodes);
    long nextSerial = nextNodeSerial;
    NodeId on;
    if (host.isPresent()) {
      on = host.get().id();
    } else {
      on = new NodeId(pool.get().name(), nextSerial++);
      nextNodes.add(new Node(on, now, now, Optional.empty()));
    }
    List<PlacedReplica> nextReplicas = new ArrayList<>(replicas);
    nextReplicas.add(new PlacedReplica(replica, on, need));
    return new CapacityModel(pools, nextNodes, nextReplicas, waitingSince, nextSerial, nextReplicaSerial);
  }

  private static void checkOnePoolEach(List<NodePoolSpec> pools) {
    Map<String, NodePoolSpec> byName = new HashMap<>();
    Map<Optional<GpuType>, NodePoolSpec> byGpu = new HashMap<>();
    for (NodePoolSpec pool : pools) {
      NodePoolSpec sameName = byName.putIfAbsent(pool.name(), pool);
      if (sameName != null) {
        throw new IllegalArgumentException("pools: " + pool.name() + " twice (expected: each pool name once)");
      }
      NodePoolSpec sameGpu = byGpu.putIfAbsent(pool.gpu(), pool);
      if (sameGpu != null) {
        throw new IllegalArgumentException("pools: " + sameGpu.name() + " and " + pool.name() + " both "
            + pool.gpu().map(gpu -> "have " + gpu + " GPUs").orElse("are CPU pools")
            + " (expected: one pool per GPU type and at most one CPU pool)");
      }
    }
  }
}

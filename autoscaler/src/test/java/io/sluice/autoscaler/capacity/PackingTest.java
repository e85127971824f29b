package io.sluice.autoscaler.capacity;

import static io.sluice.autoscaler.capacity.Fleet.T0;
import static io.sluice.autoscaler.capacity.Fleet.app;
import static io.sluice.autoscaler.capacity.Fleet.cpu;
import static io.sluice.autoscaler.capacity.Fleet.demand;
import static io.sluice.autoscaler.capacity.Fleet.gpus;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.autoscaler.replica.ReplicaId;
import io.sluice.config.GpuType;
import io.sluice.config.NodePoolSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Where one new replica goes, given what the pool's ready nodes already carry. */
class PackingTest {

  private static final NodePoolSpec L4X4 = Fleet.fixedPool("l4", GpuType.L4, 4, 3);
  private static final NodePoolSpec H100X2 = Fleet.gpuPool("h100", GpuType.H100, 2, 0, 3, Duration.ofSeconds(120),
      Duration.ofMinutes(5));
  private static final NodePoolSpec CPU16 = new NodePoolSpec("cpu", Optional.empty(), 0, 0, 2,
      Duration.ofSeconds(30), Duration.ofMinutes(5), OptionalDouble.of(16), OptionalDouble.of(64));

  /**
   * @param nodes one entry per ready node (serials 1, 2, ...): the needs of the replicas already on it
   * @param expectedNode the node serial the replica starts on; 0 when it starts nowhere this tick
   * @param expectedPending the pending reason when it does not start
   */
  record Case(String name, NodePoolSpec pool, List<List<ReplicaNeed>> nodes, ReplicaNeed need, long expectedNode,
      String expectedPending) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    ReplicaNeed l4 = gpus(GpuType.L4, 1);
    ReplicaNeed l4x2 = gpus(GpuType.L4, 2);
    ReplicaNeed h100 = gpus(GpuType.H100, 1);
    ReplicaNeed h100x2 = gpus(GpuType.H100, 2);
    return Stream.of(
        new Case("goes to the fullest node that still fits", L4X4,
            List.of(List.of(l4), List.of(l4, l4, l4), List.of()), l4, 2, null),
        new Case("skips a fuller node without enough free gpus", L4X4,
            List.of(List.of(l4, l4, l4), List.of(l4, l4), List.of()), l4x2, 2, null),
        new Case("takes the oldest of equally full nodes", L4X4,
            List.of(List.of(), List.of(l4), List.of(l4)), l4, 2, null),
        new Case("uses an empty node only when no partly used node fits", L4X4,
            List.of(List.of(l4x2, l4x2), List.of(l4, l4, l4), List.of()), l4x2, 3, null),
        new Case("h100 x2 waits for a new node when every node has one gpu free", H100X2,
            List.of(List.of(h100), List.of(h100)), h100x2, 0,
            "waiting for a node in pool h100 (ready in 120 s)"),
        new Case("h100 x2 starts on the node with two gpus free", H100X2,
            List.of(List.of(h100), List.of()), h100x2, 2, null),
        new Case("h100 x4 never fits a two gpu node", H100X2,
            List.of(List.of()), gpus(GpuType.H100, 4), 0,
            "a replica needs 4 x H100 but nodes of pool h100 have 2"),
        new Case("cpu replica packs by vcpus", CPU16,
            List.of(List.of(cpu(12)), List.of(cpu(8))), cpu(4), 1, null),
        new Case("cpu replica too big for the node by vcpus", CPU16,
            List.of(List.of()), cpu(32), 0, "a replica needs 32 vCPUs but nodes of pool cpu have 16"),
        new Case("cpu replica that fits exactly by decimal vcpus", CPU16,
            List.of(List.of(cpu(0.1), cpu(0.2), cpu(15.6))), cpu(0.1), 1, null),
        new Case("memory limits a cpu node too", CPU16,
            List.of(List.of(new ReplicaNeed(Optional.empty(), 0, 1, 62))), new ReplicaNeed(Optional.empty(), 0, 1, 4),
            0, "waiting for a node in pool cpu (ready in 30 s)"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void new_replica_is_packed_onto_the_fullest_node_it_fits(Case row) {
    CapacityModel model = modelWith(row.pool(), row.nodes());

    PlacementPlan plan = Placement.decide(model, List.of(
        demand("other", row.nodes().stream().flatMap(List::stream).findFirst().orElse(row.need()), 0,
            model.replicas().size(), 0),
        demand("new", row.need(), 0, 1, 10)), T0);

    if (row.expectedNode() > 0) {
      assertThat(plan.startsOf(app("new"))).singleElement()
          .satisfies(placed -> assertThat(placed.node()).isEqualTo(new NodeId(row.pool().name(), row.expectedNode())));
      assertThat(plan.pending()).isEmpty();
    } else {
      assertThat(plan.startsOf(app("new"))).isEmpty();
      assertThat(plan.pending()).containsExactly(new Pending(app("new"), 1, row.expectedPending()));
    }
    assertThat(plan.stops()).isEmpty();
  }

  /** Ready nodes carrying replicas of app "other" (their needs may differ; the model records each one's own). */
  static CapacityModel modelWith(NodePoolSpec pool, List<List<ReplicaNeed>> nodes) {
    List<Node> ready = new ArrayList<>();
    List<PlacedReplica> replicas = new ArrayList<>();
    long replicaSerial = 1;
    for (int i = 0; i < nodes.size(); i++) {
      NodeId id = new NodeId(pool.name(), i + 1);
      ready.add(new Node(id, T0.minusSeconds(600), T0.minusSeconds(300), Optional.empty()));
      for (ReplicaNeed need : nodes.get(i)) {
        replicas.add(new PlacedReplica(new ReplicaId(app("other"), "other-" + replicaSerial++), id, need));
      }
    }
    return new CapacityModel(List.of(pool), ready, replicas, Map.of(), nodes.size() + 1, replicaSerial);
  }
}

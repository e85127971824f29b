package io.sluice.autoscaler.capacity;

import static io.sluice.autoscaler.capacity.Fleet.T0;
import static io.sluice.autoscaler.capacity.Fleet.app;
import static io.sluice.autoscaler.capacity.Fleet.gpus;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.autoscaler.replica.ReplicaId;
import io.sluice.config.GpuType;
import io.sluice.config.HardwareSpec;
import io.sluice.config.NodePoolSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The values placement works on refuse what placement could not make sense of. */
class CapacityModelTest {

  private static final NodePoolSpec L4 = Fleet.fixedPool("l4", GpuType.L4, 1, 1);

  @Test
  void a_replica_needs_its_apps_hardware() {
    ReplicaNeed need = ReplicaNeed.of(new HardwareSpec(Optional.of(GpuType.H100), 2, 8, 64));

    assertThat(need).isEqualTo(new ReplicaNeed(Optional.of(GpuType.H100), 2, 8, 64));
    assertThat(need.shareUnits()).isEqualTo(2);
    assertThat(need).hasToString("2 x H100, 8 vCPU, 64 GB");
    assertThat(ReplicaNeed.of(HardwareSpec.CPU_DEFAULT).shareUnits()).isEqualTo(2);
  }

  @Test
  void a_model_refuses_two_pools_for_the_same_gpu() {
    NodePoolSpec other = Fleet.fixedPool("l4-big", GpuType.L4, 4, 1);

    assertThatThrownBy(() -> CapacityModel.empty(List.of(L4, other)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("pools: l4 and l4-big both have L4 GPUs "
            + "(expected: one pool per GPU type and at most one CPU pool)");
  }

  @Test
  void a_model_refuses_a_replica_on_a_node_it_does_not_have() {
    PlacedReplica stray = new PlacedReplica(new ReplicaId(app("a"), "a-1"), new NodeId("l4", 7), gpus(GpuType.L4, 1));

    assertThatThrownBy(() -> new CapacityModel(List.of(L4), List.of(), List.of(stray), Map.of(), 1, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("replicas: p/a/a-1 on l4-7 (expected: on one of the nodes)");
  }

  @Test
  void removing_a_replica_the_model_does_not_hold_changes_nothing() {
    CapacityModel model = CapacityModel.empty(List.of(L4));

    assertThat(model.withoutReplica(new ReplicaId(app("a"), "a-1"))).isSameAs(model);
  }

  @Test
  void a_demand_below_min_replicas_is_refused() {
    assertThatThrownBy(() -> new AppDemand(app("a"), gpus(GpuType.L4, 1), 2, 1, T0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("wanted: 1 (expected: >= minReplicas = 2)");
  }

  @Test
  void two_demands_for_one_app_are_refused() {
    AppDemand demand = new AppDemand(app("a"), gpus(GpuType.L4, 1), 0, 1, T0);

    assertThatThrownBy(() -> Placement.decide(CapacityModel.empty(List.of(L4)), List.of(demand, demand), T0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("demands: p/a twice (expected: one demand per app)");
  }

  @Test
  void a_node_is_provisioning_until_its_ready_instant() {
    Node node = new Node(new NodeId("l4", 1), T0, T0.plus(Duration.ofSeconds(60)), Optional.empty());

    assertThat(node.isReady(T0.plusSeconds(59))).isFalse();
    assertThat(node.isReady(T0.plusSeconds(60))).isTrue();
  }

  @Test
  void adopting_running_replicas_fills_nodes_then_adds_ready_ones_and_keeps_each_replica_once() {
    NodePoolSpec twoPerNode = Fleet.fixedPool("l4", GpuType.L4, 2, 1);
    ReplicaNeed one = gpus(GpuType.L4, 1);
    CapacityModel model = CapacityModel.empty(List.of(twoPerNode));

    for (int i = 1; i <= 3; i++) {
      model = model.adopt(new ReplicaId(app("a"), "a-" + i), one, T0);
    }
    CapacityModel again = model.adopt(new ReplicaId(app("a"), "a-1"), one, T0);

    assertThat(model.nodes()).hasSize(2).allSatisfy(node -> assertThat(node.isReady(T0)).isTrue());
    assertThat(model.gpusUsed(model.nodes().get(0).id())).isEqualTo(2);
    assertThat(model.gpusUsed(model.nodes().get(1).id())).isEqualTo(1);
    assertThat(again).isSameAs(model);
    assertThat(model.adopt(new ReplicaId(app("b"), "b-1"), gpus(GpuType.H100, 1), T0))
        .as("a replica of no pool").isSameAs(model);
  }
}

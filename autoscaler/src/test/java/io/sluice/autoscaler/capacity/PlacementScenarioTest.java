package io.sluice.autoscaler.capacity;

import static io.sluice.autoscaler.capacity.Fleet.T0;
import static io.sluice.autoscaler.capacity.Fleet.app;
import static io.sluice.autoscaler.capacity.Fleet.cpu;
import static io.sluice.autoscaler.capacity.Fleet.demand;
import static io.sluice.autoscaler.capacity.Fleet.gpus;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.GpuType;
import io.sluice.config.NodeConfigReader;
import io.sluice.config.NodePoolSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Placement over several ticks, the time injected by {@link Fleet}. */
class PlacementScenarioTest {

  private static final ReplicaNeed L4 = gpus(GpuType.L4, 1);

  @Test
  void a_replica_with_no_room_asks_for_a_node_and_starts_when_it_is_ready() {
    Fleet fleet = new Fleet(Fleet.gpuPool("l4", GpuType.L4, 1, 0, 2, Duration.ofSeconds(60), Duration.ofMinutes(5)));

    PlacementPlan asked = fleet.tick(demand("a", L4, 0, 1, 0));

    assertThat(asked.provisions()).singleElement().satisfies(node -> {
      assertThat(node.id()).isEqualTo(new NodeId("l4", 1));
      assertThat(node.readyAt()).isEqualTo(T0.plusSeconds(60));
    });
    assertThat(asked.starts()).isEmpty();
    assertThat(asked.pending()).containsExactly(
        new Pending(app("a"), 1, "waiting for a node in pool l4 (ready in 60 s)"));

    PlacementPlan waiting = fleet.tickAfter(Duration.ofSeconds(42), demand("a", L4, 0, 1, 0));

    assertThat(waiting.provisions()).isEmpty();
    assertThat(waiting.starts()).isEmpty();
    assertThat(waiting.pending()).containsExactly(
        new Pending(app("a"), 1, "waiting for a node in pool l4 (ready in 18 s)"));

    PlacementPlan ready = fleet.tickAfter(Duration.ofSeconds(18), demand("a", L4, 0, 1, 0));

    assertThat(ready.starts()).singleElement().satisfies(placed -> {
      assertThat(placed.node()).isEqualTo(new NodeId("l4", 1));
      assertThat(placed.replica().toString()).isEqualTo("p/a/a-1");
    });
    assertThat(ready.pending()).isEmpty();
    assertThat(ready.provisions()).isEmpty();
  }

  @Test
  void a_pool_at_max_nodes_asks_for_no_more_and_says_so() {
    Fleet fleet = new Fleet(Fleet.gpuPool("l4", GpuType.L4, 1, 0, 2, Duration.ofSeconds(60), Duration.ofMinutes(5)));

    PlacementPlan asked = fleet.tick(demand("a", L4, 0, 3, 0));

    assertThat(asked.provisions()).hasSize(2);
    assertThat(asked.pending()).containsExactly(
        new Pending(app("a"), 2, "waiting for a node in pool l4 (ready in 60 s)"),
        new Pending(app("a"), 1, "pool l4 at max_nodes 2"));

    PlacementPlan ready = fleet.tickAfter(Duration.ofSeconds(60), demand("a", L4, 0, 3, 0));

    assertThat(ready.starts()).hasSize(2);
    assertThat(ready.provisions()).isEmpty();
    assertThat(ready.pending()).containsExactly(new Pending(app("a"), 1, "pool l4 at max_nodes 2"));
    assertThat(fleet.model().waitingSince()).containsEntry(app("a"), T0);
  }

  @Test
  void two_apps_on_a_short_pool_both_keep_running_and_freed_gpus_go_to_the_one_below_its_share() {
    Fleet fleet = new Fleet(Fleet.fixedPool("l4", GpuType.L4, 1, 4));
    Duration tick = Duration.ofSeconds(2);

    fleet.tick(demand("a", L4, 0, 4, 0));
    assertThat(List.of(fleet.placed(app("a")), fleet.placed(app("b")))).containsExactly(4, 0);

    PlacementPlan full = fleet.tickAfter(tick, demand("a", L4, 0, 4, 0), demand("b", L4, 0, 4, 10));
    assertThat(List.of(fleet.placed(app("a")), fleet.placed(app("b")))).containsExactly(4, 0);
    assertThat(full.pending()).containsExactly(new Pending(app("b"), 4, "pool l4 at max_nodes 4"));

    fleet.tickAfter(tick, demand("a", L4, 0, 3, 0), demand("b", L4, 0, 4, 10));
    assertThat(List.of(fleet.placed(app("a")), fleet.placed(app("b")))).containsExactly(3, 1);

    PlacementPlan aWantsMore = fleet.tickAfter(tick, demand("a", L4, 0, 4, 0), demand("b", L4, 0, 4, 10));
    assertThat(List.of(fleet.placed(app("a")), fleet.placed(app("b")))).containsExactly(3, 1);
    assertThat(aWantsMore.stops()).isEmpty();

    fleet.tickAfter(tick, demand("a", L4, 0, 2, 0), demand("b", L4, 0, 4, 10));
    assertThat(List.of(fleet.placed(app("a")), fleet.placed(app("b")))).containsExactly(2, 2);

    fleet.tickAfter(tick, demand("a", L4, 0, 4, 0), demand("b", L4, 0, 4, 10));
    assertThat(List.of(fleet.placed(app("a")), fleet.placed(app("b")))).containsExactly(2, 2);
  }

  @Test
  void between_apps_equally_far_below_their_share_the_one_waiting_longest_goes_first() {
    Fleet fleet = new Fleet(Fleet.fixedPool("l4", GpuType.L4, 1, 1));
    Duration tick = Duration.ofSeconds(2);
    fleet.tick(demand("c", L4, 0, 1, 0));
    fleet.tickAfter(tick, demand("c", L4, 0, 1, 0), demand("b", L4, 0, 1, 20));
    fleet.tickAfter(tick, demand("c", L4, 0, 1, 0), demand("b", L4, 0, 1, 20), demand("a", L4, 0, 1, 10));

    PlacementPlan freed = fleet.tickAfter(tick,
        demand("c", L4, 0, 0, 0), demand("b", L4, 0, 1, 20), demand("a", L4, 0, 1, 10));

    assertThat(freed.starts()).extracting(placed -> placed.replica().app()).containsExactly(app("b"));
    assertThat(freed.pending()).containsExactly(new Pending(app("a"), 1, "pool l4 at max_nodes 1"));
    assertThat(fleet.model().waitingSince()).isEqualTo(Map.of(app("a"), T0.plusSeconds(4)));
  }

  @Test
  void idle_nodes_are_released_after_the_delay_but_never_below_min_nodes() {
    Fleet fleet = new Fleet(Fleet.gpuPool("l4", GpuType.L4, 1, 1, 3, Duration.ZERO, Duration.ofSeconds(300)));
    assertThat(fleet.tick(demand("a", L4, 0, 3, 0)).starts()).hasSize(3);

    PlacementPlan scaledToZero = fleet.tickAfter(Duration.ofSeconds(10), demand("a", L4, 0, 0, 0));
    assertThat(scaledToZero.stops()).hasSize(3);
    assertThat(scaledToZero.releases()).isEmpty();

    assertThat(fleet.tickAfter(Duration.ofSeconds(299), demand("a", L4, 0, 0, 0)).releases()).isEmpty();

    PlacementPlan afterDelay = fleet.tickAfter(Duration.ofSeconds(1), demand("a", L4, 0, 0, 0));
    assertThat(afterDelay.releases()).extracting(Node::id)
        .containsExactly(new NodeId("l4", 3), new NodeId("l4", 2));
    assertThat(fleet.model().nodes()).extracting(Node::id).containsExactly(new NodeId("l4", 1));

    assertThat(fleet.tickAfter(Duration.ofHours(1), demand("a", L4, 0, 0, 0)).releases()).isEmpty();
    assertThat(fleet.model().nodes()).hasSize(1);
  }

  @Test
  void min_nodes_are_asked_for_on_the_first_tick_and_kept_while_empty() {
    Fleet fleet = new Fleet(Fleet.gpuPool("l4", GpuType.L4, 1, 2, 4, Duration.ofSeconds(30), Duration.ZERO));

    PlacementPlan first = fleet.tick();
    assertThat(first.provisions()).extracting(Node::id).containsExactly(new NodeId("l4", 1), new NodeId("l4", 2));

    PlacementPlan later = fleet.tickAfter(Duration.ofHours(1));
    assertThat(later.releases()).isEmpty();
    assertThat(later.provisions()).isEmpty();
    assertThat(fleet.model().nodes()).hasSize(2).allMatch(node -> node.idleSince().isPresent());
  }

  @Test
  void scale_down_removes_the_replica_on_the_emptiest_node_so_that_node_is_released() {
    Fleet fleet = new Fleet(Fleet.gpuPool("l4", GpuType.L4, 4, 0, 2, Duration.ZERO, Duration.ofSeconds(60)));
    fleet.tick(demand("a", L4, 0, 5, 0));
    assertThat(fleet.model().gpusUsed(new NodeId("l4", 1))).isEqualTo(4);
    assertThat(fleet.model().gpusUsed(new NodeId("l4", 2))).isEqualTo(1);

    PlacementPlan down = fleet.tickAfter(Duration.ofSeconds(1), demand("a", L4, 0, 4, 0));

    assertThat(down.stops()).singleElement()
        .satisfies(stopped -> assertThat(stopped.node()).isEqualTo(new NodeId("l4", 2)));
    PlacementPlan later = fleet.tickAfter(Duration.ofSeconds(60), demand("a", L4, 0, 4, 0));
    assertThat(later.releases()).extracting(Node::id).containsExactly(new NodeId("l4", 2));
    assertThat(fleet.model().replicasOn(new NodeId("l4", 1))).hasSize(4);
  }

  @Test
  void on_the_default_pools_a_cpu_app_starts_at_once_and_a_gpu_app_stays_pending_naming_the_fix() {
    Fleet fleet = new Fleet(NodeConfigReader.defaultPools().toArray(NodePoolSpec[]::new));

    PlacementPlan plan = fleet.tick(demand("web", cpu(2), 1, 3, 0), demand("llm", L4, 0, 1, 10));

    assertThat(plan.provisions()).extracting(Node::id).containsExactly(new NodeId("local", 1));
    assertThat(plan.startsOf(app("web"))).hasSize(3)
        .allSatisfy(placed -> assertThat(placed.node()).isEqualTo(new NodeId("local", 1)));
    assertThat(plan.pending()).containsExactly(new Pending(app("llm"), 1,
        "no node pool has L4 GPUs; add a [[pools]] table with gpu = \"L4\" to the node's sluice.toml"));
  }

  @Test
  void a_cpu_app_with_no_cpu_pool_stays_pending_naming_the_fix() {
    Fleet fleet = new Fleet(Fleet.fixedPool("l4", GpuType.L4, 1, 1));

    PlacementPlan plan = fleet.tick(demand("web", cpu(1), 0, 1, 0));

    assertThat(plan.pending()).containsExactly(new Pending(app("web"), 1,
        "no CPU node pool; add a [[pools]] table without gpu to the node's sluice.toml"));
  }

  @Test
  void cpu_apps_in_a_cpu_pool_grow_onto_new_nodes_by_vcpus() {
    Fleet fleet = new Fleet(Fleet.cpuPool("cpu", 8, 3));

    PlacementPlan asked = fleet.tick(demand("web", cpu(3), 0, 5, 0));
    assertThat(asked.provisions()).hasSize(3);
    assertThat(asked.pending()).containsExactly(
        new Pending(app("web"), 5, "waiting for a node in pool cpu (ready in 30 s)"));

    PlacementPlan ready = fleet.tickAfter(Duration.ofSeconds(30), demand("web", cpu(3), 0, 5, 0));
    assertThat(ready.starts()).extracting(placed -> placed.node().serial()).containsExactly(1L, 1L, 2L, 2L, 3L);
  }

  @Test
  void a_waiting_replica_takes_a_ready_node_freed_by_another_app_instead_of_waiting_for_its_new_node() {
    Fleet fleet = new Fleet(Fleet.gpuPool("l4", GpuType.L4, 1, 1, 2, Duration.ofSeconds(60), Duration.ofSeconds(120)));
    fleet.tick(demand("a", L4, 0, 1, 0));
    fleet.tickAfter(Duration.ofSeconds(60), demand("a", L4, 0, 1, 0));
    PlacementPlan bWaits = fleet.tickAfter(Duration.ofSeconds(10), demand("a", L4, 0, 1, 0), demand("b", L4, 0, 1, 5));
    assertThat(bWaits.provisions()).extracting(Node::id).containsExactly(new NodeId("l4", 2));

    PlacementPlan aLeaves = fleet.tickAfter(Duration.ofSeconds(10), demand("a", L4, 0, 0, 0),
        demand("b", L4, 0, 1, 5));

    assertThat(aLeaves.startsOf(app("b"))).singleElement()
        .satisfies(placed -> assertThat(placed.node()).isEqualTo(new NodeId("l4", 1)));
    PlacementPlan unneededNodeUp = fleet.tickAfter(Duration.ofSeconds(50), demand("b", L4, 0, 1, 5));
    assertThat(unneededNodeUp.releases()).isEmpty();
    assertThat(fleet.model().node(new NodeId("l4", 2)).orElseThrow().idleSince()).contains(T0.plusSeconds(130));
    assertThat(fleet.tickAfter(Duration.ofSeconds(119), demand("b", L4, 0, 1, 5)).releases()).isEmpty();
    PlacementPlan idleLongEnough = fleet.tickAfter(Duration.ofSeconds(1), demand("b", L4, 0, 1, 5));
    assertThat(idleLongEnough.releases()).extracting(Node::id).containsExactly(new NodeId("l4", 2));
  }

  @Test
  void a_replica_that_died_is_placed_again_on_the_next_tick() {
    Fleet fleet = new Fleet(Fleet.fixedPool("l4", GpuType.L4, 1, 1));
    PlacedReplica first = fleet.tick(demand("a", L4, 0, 1, 0)).starts().get(0);

    fleet.lose(first);
    PlacementPlan again = fleet.tickAfter(Duration.ofSeconds(2), demand("a", L4, 0, 1, 0));

    assertThat(again.starts()).singleElement().satisfies(placed -> {
      assertThat(placed.replica().name()).isEqualTo("a-2");
      assertThat(placed.node()).isEqualTo(first.node());
    });
  }

  @Test
  void an_app_no_longer_deployed_has_all_its_replicas_stopped_and_its_wait_forgotten() {
    Fleet fleet = new Fleet(Fleet.fixedPool("l4", GpuType.L4, 1, 2));
    fleet.tick(demand("a", L4, 0, 3, 0));
    assertThat(fleet.model().waitingSince()).containsKey(app("a"));

    PlacementPlan gone = fleet.tickAfter(Duration.ofSeconds(2));

    assertThat(gone.stopsOf(app("a"))).hasSize(2);
    assertThat(fleet.model().replicas()).isEmpty();
    assertThat(fleet.model().waitingSince()).isEmpty();
  }

  @Test
  void the_same_ticks_give_the_same_plans() {
    List<PlacementPlan> first = replay();
    List<PlacementPlan> second = replay();

    assertThat(second).isEqualTo(first);
  }

  private static List<PlacementPlan> replay() {
    Fleet fleet = new Fleet(
        Fleet.gpuPool("l4", GpuType.L4, 2, 0, 3, Duration.ofSeconds(45), Duration.ofSeconds(90)),
        Fleet.cpuPool("cpu", 8, 2));
    ReplicaNeed l4x2 = gpus(GpuType.L4, 2);
    return List.of(
        fleet.tick(demand("a", L4, 1, 3, 0), demand("b", l4x2, 0, 2, 5), demand("w", cpu(2), 0, 3, 1)),
        fleet.tickAfter(Duration.ofSeconds(45), demand("a", L4, 1, 4, 0), demand("b", l4x2, 0, 2, 5),
            demand("w", cpu(2), 0, 5, 1)),
        fleet.tickAfter(Duration.ofSeconds(30), demand("a", L4, 1, 1, 0), demand("b", l4x2, 0, 3, 5)),
        fleet.tickAfter(Duration.ofSeconds(200), demand("a", L4, 1, 1, 0), demand("b", l4x2, 0, 0, 5)));
  }
}

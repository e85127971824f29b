package io.sluice.autoscaler.capacity;

import static io.sluice.autoscaler.capacity.Fleet.app;
import static io.sluice.autoscaler.capacity.Fleet.demand;
import static io.sluice.autoscaler.capacity.Fleet.gpus;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.GpuType;
import io.sluice.config.NodePoolSpec;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * How a short pool is shared: every app's min_replicas first, in deploy order; then water-filling in GPUs, ties to the
 * longest waiting; placed replicas are never taken away.
 */
class FairSharingTest {

  private static final ReplicaNeed L4 = gpus(GpuType.L4, 1);
  private static final ReplicaNeed L4X2 = gpus(GpuType.L4, 2);

  /**
   * @param before demands of a first tick, which places what the pool then holds; empty to start from nothing
   * @param demands the demands of the tick under test
   * @param expectedGpus GPUs each app holds after it
   */
  record Case(String name, NodePoolSpec pool, List<AppDemand> before, List<AppDemand> demands,
      Map<String, Integer> expectedGpus) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    NodePoolSpec fourSingles = Fleet.fixedPool("l4", GpuType.L4, 1, 4);
    return Stream.of(
        new Case("two equal apps split an empty pool evenly", fourSingles, List.of(),
            List.of(demand("a", L4, 0, 4, 0), demand("b", L4, 0, 4, 10)),
            held("a", 2, "b", 2)),
        new Case("the earlier deployed app gets the odd gpu", Fleet.fixedPool("l4", GpuType.L4, 1, 3), List.of(),
            List.of(demand("b", L4, 0, 4, 10), demand("a", L4, 0, 4, 0)),
            held("a", 2, "b", 1)),
        new Case("min replicas come first and the rest is shared", fourSingles, List.of(),
            List.of(demand("a", L4, 3, 4, 0), demand("b", L4, 0, 4, 10)),
            held("a", 3, "b", 1)),
        new Case("a later app's min replicas come before an earlier app's growth", fourSingles, List.of(),
            List.of(demand("a", L4, 0, 4, 0), demand("b", L4, 3, 3, 10)),
            held("a", 1, "b", 3)),
        new Case("when min replicas alone overflow the pool the earliest deployed app keeps its own", fourSingles,
            List.of(),
            List.of(demand("a", L4, 3, 3, 0), demand("b", L4, 3, 3, 10)),
            held("a", 3, "b", 1)),
        new Case("shares are counted in gpus not replicas", Fleet.fixedPool("l4", GpuType.L4, 4, 2), List.of(),
            List.of(demand("a", L4X2, 0, 4, 0), demand("b", L4, 0, 8, 10)),
            held("a", 4, "b", 4)),
        new Case("an app that wants little gets all of it and the big one gets the rest",
            Fleet.fixedPool("l4", GpuType.L4, 1, 6), List.of(),
            List.of(demand("a", L4, 0, 1, 0), demand("b", L4, 0, 10, 10)),
            held("a", 1, "b", 5)),
        new Case("placed replicas are not taken for another app's growth", fourSingles,
            List.of(demand("a", L4, 0, 4, 0)),
            List.of(demand("a", L4, 0, 4, 0), demand("b", L4, 0, 2, 10)),
            held("a", 4, "b", 0)),
        new Case("capacity freed by a scale down goes to the apps furthest below their share", fourSingles,
            List.of(demand("a", L4, 0, 4, 0)),
            List.of(demand("a", L4, 0, 2, 0), demand("b", L4, 0, 4, 10), demand("c", L4, 0, 1, 20)),
            held("a", 2, "b", 1, "c", 1)),
        new Case("a small replica uses room that a big one cannot", Fleet.fixedPool("l4", GpuType.L4, 2, 2),
            List.of(demand("x", L4, 0, 3, 0)),
            List.of(demand("x", L4, 0, 3, 0), demand("big", L4X2, 0, 1, 10), demand("small", L4, 0, 2, 20)),
            held("x", 3, "big", 0, "small", 1)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void a_short_pool_is_shared_by_min_replicas_then_water_filling_in_gpus(Case row) {
    Fleet fleet = new Fleet(row.pool());
    if (!row.before().isEmpty()) {
      fleet.tick(row.before().toArray(AppDemand[]::new));
    }

    PlacementPlan plan = fleet.tickAfter(Duration.ofSeconds(1), row.demands().toArray(AppDemand[]::new));

    Map<String, Integer> held = new LinkedHashMap<>();
    row.expectedGpus().keySet().forEach(name -> held.put(name, fleet.gpus(app(name))));
    assertThat(held).isEqualTo(row.expectedGpus());
    for (AppDemand demand : row.demands()) {
      int missing = demand.wanted() - fleet.placed(demand.app());
      assertThat(plan.pendingCount(demand.app())).as("pending of %s", demand.app()).isEqualTo(missing);
      plan.pendingOf(demand.app()).forEach(pending ->
          assertThat(pending.reason()).isEqualTo("pool l4 at max_nodes " + row.pool().maxNodes()));
    }
  }

  private static Map<String, Integer> held(Object... nameThenCount) {
    Map<String, Integer> held = new LinkedHashMap<>();
    for (int i = 0; i < nameThenCount.length; i += 2) {
      held.put((String) nameThenCount[i], (Integer) nameThenCount[i + 1]);
    }
    return held;
  }
}

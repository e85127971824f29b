package io.sluice.dataplane.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SlotSharesTest {

  private static final List<String> THREE = List.of("m0", "m1", "m2");

  @Test
  void a_node_alone_takes_every_slot() {
    assertThat(SlotShares.of(4, List.of("m0"), "m0", Map.of(), List.of("a", "b"))).isEqualTo(Map.of("a", 4, "b", 4));
  }

  @Test
  void nodes_with_equal_demand_split_each_replica_evenly_and_never_past_its_limit() {
    Map<String, Integer> demand = Map.of("m0", 2, "m1", 2, "m2", 2);
    List<String> replicas = List.of("a", "b", "c");

    assertThat(SlotShares.of(4, THREE, "m0", demand, replicas)).isEqualTo(Map.of("a", 2, "b", 1, "c", 1));
    assertThat(SlotShares.of(4, THREE, "m1", demand, replicas)).isEqualTo(Map.of("a", 1, "b", 2, "c", 1));
    assertThat(SlotShares.of(4, THREE, "m2", demand, replicas)).isEqualTo(Map.of("a", 1, "b", 1, "c", 2));
  }

  @Test
  void the_node_with_the_load_gets_most_slots_and_idle_nodes_keep_one_each() {
    Map<String, Integer> demand = Map.of("m0", 10);
    List<String> replicas = List.of("a", "b", "c");

    assertThat(total(SlotShares.of(4, THREE, "m0", demand, replicas))).isEqualTo(10);
    assertThat(total(SlotShares.of(4, THREE, "m1", demand, replicas))).isEqualTo(1);
    assertThat(total(SlotShares.of(4, THREE, "m2", demand, replicas))).isEqualTo(1);
  }

  @Test
  void with_fewer_slots_than_nodes_every_node_still_gets_one() {
    Map<String, Integer> demand = Map.of();

    assertThat(SlotShares.of(1, THREE, "m0", demand, List.of("a"))).isEqualTo(Map.of("a", 1));
    assertThat(SlotShares.of(1, THREE, "m1", demand, List.of("a"))).isEqualTo(Map.of("a", 1));
    assertThat(SlotShares.of(1, THREE, "m2", demand, List.of("a", "b")))
        .as("on the replica its position picks").isEqualTo(Map.of("a", 1, "b", 0));
  }

  @Test
  void a_node_that_is_not_a_member_yet_gets_nothing() {
    assertThat(SlotShares.of(4, THREE, "m9", Map.of(), List.of("a"))).isEmpty();
  }

  @Test
  void whatever_the_demand_the_parts_of_every_replica_add_up_to_its_limit() {
    Random random = new Random(42);
    for (int round = 0; round < 500; round++) {
      int n = 1 + random.nextInt(6);
      int r = 1 + random.nextInt(5);
      int limit = 1 + random.nextInt(8);
      if ((long) limit * r < n) {
        continue;
      }
      List<String> members = new java.util.ArrayList<>();
      Map<String, Integer> demand = new HashMap<>();
      for (int i = 0; i < n; i++) {
        members.add("m" + i);
        demand.put("m" + i, random.nextInt(3) == 0 ? 0 : random.nextInt(50));
      }
      List<String> replicas = new java.util.ArrayList<>();
      for (int i = 0; i < r; i++) {
        replicas.add("r" + i);
      }
      Map<String, Integer> sums = new HashMap<>();
      for (String member : members) {
        SlotShares.of(limit, members, member, demand, replicas).forEach((replica, part) ->
            sums.merge(replica, part, Integer::sum));
      }
      for (String replica : replicas) {
        assertThat(sums.get(replica)).as("round %d: n=%d r=%d limit=%d demand=%s", round, n, r, limit, demand)
            .isEqualTo(limit);
      }
    }
  }

  private static int total(Map<String, Integer> parts) {
    return parts.values().stream().mapToInt(Integer::intValue).sum();
  }
}

package io.sluice.cluster.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.sluice.cluster.registry.LoopbackFleet;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** A member listening with {@link MapChanges#fromOthers} hears of the other members' writes, not of its own. */
class MapChangesTest {

  @Test
  void a_member_hears_of_writes_from_others_only_and_of_every_key_gone() throws Exception {
    try (LoopbackFleet fleet = new LoopbackFleet()) {
      HazelcastInstance a = fleet.join();
      HazelcastInstance b = fleet.join();
      List<String> heardOnA = new CopyOnWriteArrayList<>();
      IMap<String, String> onA = a.getMap("changes");
      onA.addEntryListener(MapChanges.fromOthers((key, value) -> heardOnA.add("written " + key + "=" + value),
          (key, old) -> heardOnA.add("gone " + key)), true);
      IMap<String, String> onB = b.getMap("changes");

      onA.set("mine", "1");
      onB.set("theirs", "2");
      onB.set("theirs", "3");
      onB.remove("mine");

      // Events of one key come in order (its own write before its removal); keys on different partitions need not.
      await().atMost(Duration.ofSeconds(10))
          .until(() -> heardOnA.contains("gone mine") && heardOnA.contains("written theirs=3"));
      assertThat(heardOnA).containsExactlyInAnyOrder("written theirs=2", "written theirs=3", "gone mine");
      assertThat(heardOnA.indexOf("written theirs=2")).isLessThan(heardOnA.indexOf("written theirs=3"));
    }
  }
}

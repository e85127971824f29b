package io.sluice.cluster.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.sluice.cluster.fleet.Fleet;
import io.sluice.cluster.fleet.FleetOptions;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two real Hazelcast members on loopback share a map that also lives on each one's disk. */
class FleetMapTest {

  @TempDir
  Path temp;

  private final String fleetName = "fleet-map-" + UUID.randomUUID();
  private final List<HazelcastInstance> members = new ArrayList<>();
  private int firstPort;

  @AfterEach
  void leave() {
    members.forEach(HazelcastInstance::shutdown);
  }

  @Test
  void a_write_on_one_node_reaches_the_other_and_a_removal_follows_it() throws Exception {
    Node a = node("a");
    Node b = node("b");

    a.map.put("apps/one", "v1").get(10, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(10)).until(() -> b.map.get("apps/one").equals(Optional.of("v1")));
    assertThat(b.heard).extracting(FleetMap.Entry::key).containsExactly("apps/one");
    assertThat(a.heard).as("a node is not told of its own writes").isEmpty();

    b.map.remove("apps/one").get(10, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(10)).until(() -> a.map.get("apps/one").isEmpty());
    assertThat(a.heard).singleElement().satisfies(e -> assertThat(e.removed()).isTrue());
    assertThat(a.map.entry("apps/one").orElseThrow().version())
        .isGreaterThan(b.heard.get(0).version());
  }

  @Test
  void a_whole_fleet_restart_keeps_what_was_written() throws Exception {
    Node a = node("a");
    Node b = node("b");
    a.map.put("k1", "one").get(10, TimeUnit.SECONDS);
    b.map.put("k2", "two").get(10, TimeUnit.SECONDS);
    b.map.remove("k1").get(10, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(10)).until(() -> a.map.values().equals(Map.of("k2", "two")));
    stopAll();

    Node again = node("a");

    assertThat(again.map.values()).isEqualTo(Map.of("k2", "two"));
    assertThat(again.heard).extracting(FleetMap.Entry::key).containsExactlyInAnyOrder("k1", "k2");
  }

  @Test
  void a_node_coming_back_with_old_state_cannot_bring_back_what_was_changed_or_removed_without_it() throws Exception {
    Node a = node("a");
    Node b = node("b");
    a.map.put("changed", "old").get(10, TimeUnit.SECONDS);
    a.map.put("removed", "here").get(10, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(10)).until(() -> b.map.values().size() == 2);
    members.remove(0).shutdown();
    b.map.put("changed", "new").get(10, TimeUnit.SECONDS);
    b.map.remove("removed").get(10, TimeUnit.SECONDS);
    stopAll();

    Node staleFirst = node("a");
    assertThat(staleFirst.map.values()).isEqualTo(Map.of("changed", "old", "removed", "here"));
    Node newer = node("b");

    assertThat(newer.map.values()).isEqualTo(Map.of("changed", "new"));
    await().atMost(Duration.ofSeconds(10)).until(() -> staleFirst.map.values().equals(Map.of("changed", "new")));
  }

  @Test
  void writes_racing_on_two_nodes_end_with_one_winner_everywhere() throws Exception {
    Node a = node("a");
    Node b = node("b");

    List<CompletableFuture<FleetMap.Entry>> writes = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      writes.add(a.map.put("raced", "a" + i));
      writes.add(b.map.put("raced", "b" + i));
    }
    CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);

    await().atMost(Duration.ofSeconds(10))
        .until(() -> a.map.entry("raced").equals(b.map.entry("raced")));
    long highest = writes.stream().mapToLong(w -> w.join().version()).max().orElseThrow();
    assertThat(a.map.entry("raced").orElseThrow().version()).isEqualTo(highest);
  }

  private record Node(FleetMap map, List<FleetMap.Entry> heard) {}

  private Node node(String name) throws Exception {
    int port = freePort();
    List<String> join = members.isEmpty() ? List.of() : List.of("127.0.0.1:" + firstPort);
    if (members.isEmpty()) {
      firstPort = port;
    }
    HazelcastInstance hazelcast = Hazelcast.newHazelcastInstance(
        Fleet.hazelcastConfig(FleetOptions.alone().named(fleetName).joining("127.0.0.1", port, join)));
    members.add(hazelcast);
    FleetMap map = new FleetMap(hazelcast, "test-map", temp.resolve(name), InstantSource.system());
    List<FleetMap.Entry> heard = new CopyOnWriteArrayList<>();
    map.subscribe(heard::add);
    map.start().get(20, TimeUnit.SECONDS);
    return new Node(map, heard);
  }

  private void stopAll() {
    members.forEach(HazelcastInstance::shutdown);
    members.clear();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}

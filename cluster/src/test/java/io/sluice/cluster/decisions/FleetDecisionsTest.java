package io.sluice.cluster.decisions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.sluice.autoscaler.capacity.Pending;
import io.sluice.autoscaler.decision.DeciderState;
import io.sluice.autoscaler.decision.DeciderState.DesiredAt;
import io.sluice.cluster.decisions.FleetDecisions.AppDecision;
import io.sluice.cluster.decisions.FleetDecisions.PlacementState;
import io.sluice.cluster.fleet.Fleet;
import io.sluice.cluster.fleet.FleetOptions;
import io.sluice.config.AppId;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Decisions made on one member reach the others whole, so that a decider taking over resumes where one stopped. */
class FleetDecisionsTest {

  private static final AppId APP = new AppId("p", "a");
  private static final Instant T = Instant.parse("2026-11-23T10:00:00.123Z");

  private final String fleetName = "decisions-" + UUID.randomUUID();
  private final List<HazelcastInstance> members = new ArrayList<>();
  private final List<String> ports = new ArrayList<>();

  @AfterEach
  void leave() {
    members.forEach(HazelcastInstance::shutdown);
  }

  @Test
  void a_decision_and_its_policy_state_reach_every_node_and_outlive_the_node_that_made_it() throws Exception {
    FleetDecisions a = start();
    FleetDecisions b = start();
    List<AppDecision> heardOnB = new CopyOnWriteArrayList<>();
    List<AppDecision> heardOnA = new CopyOnWriteArrayList<>();
    b.subscribe(heardOnB::add);
    a.subscribe(heardOnA::add);
    DeciderState state = new DeciderState(Optional.of(T), 4,
        List.of(new DesiredAt(T.minusSeconds(4), 6), new DesiredAt(T, 4)), true, Optional.of(T.minusSeconds(60)),
        Optional.empty(), Optional.of(T.minusMillis(1500)));
    AppDecision decision = new AppDecision(APP, a.self(), T.toEpochMilli(), 4, java.util.Set.of("a-7", "a-9"), true, state,
        new JsonObject().put("reason", "panic"));

    a.publish(decision);

    assertThat(a.of(APP)).as("in the deciding node's mirror at once").contains(decision);
    await().atMost(Duration.ofSeconds(10)).until(() -> b.of(APP).isPresent());
    assertThat(b.of(APP).get()).isEqualTo(decision);
    assertThat(b.of(APP).get().state()).isEqualTo(state);
    assertThat(heardOnB).containsExactly(decision);
    assertThat(heardOnA).as("a node is not told of its own decisions").isEmpty();

    // Backups exist once the partitions have settled since b joined.
    await().atMost(Duration.ofSeconds(30)).until(() -> members.get(0).getPartitionService().isClusterSafe());
    members.get(0).getLifecycleService().terminate();
    FleetDecisions c = start();
    assertThat(c.of(APP)).as("a node that joins later has it from the backup").contains(decision);
  }

  @Test
  void the_placement_reaches_every_node() throws Exception {
    FleetDecisions a = start();
    FleetDecisions b = start();
    PlacementState placed = new PlacementState(a.self(), T.toEpochMilli(),
        Map.of(APP, new Pending(APP, 2, "pool l4 at max_nodes 1")), new JsonObject().put("pools", "described"));

    a.publish(placed);

    await().atMost(Duration.ofSeconds(10)).until(() -> b.placement().at() == T.toEpochMilli());
    assertThat(b.placement()).isEqualTo(placed);
    assertThat(b.placement().waiting().get(APP).count()).isEqualTo(2);
  }

  @Test
  void the_decider_of_an_app_is_the_owner_of_its_key_and_exactly_one_member_is() throws Exception {
    start();
    start();
    start();
    await().atMost(Duration.ofSeconds(10)).until(() ->
        members.get(0).getPartitionService().getPartition(FleetDecisions.key(APP)).getOwner() != null);

    long owners = members.stream()
        .filter(member -> member.getPartitionService().getPartition(FleetDecisions.key(APP)).getOwner()
            .localMember())
        .count();

    assertThat(owners).isEqualTo(1);
    assertThat(FleetDecisions.key(APP)).isEqualTo("sluice/app/p/a");
  }

  private FleetDecisions start() throws Exception {
    int port = freePort();
    List<String> join = List.copyOf(ports);
    ports.add("127.0.0.1:" + port);
    HazelcastInstance hazelcast = Hazelcast.newHazelcastInstance(
        Fleet.hazelcastConfig(FleetOptions.alone().named(fleetName).joining("127.0.0.1", port, join)));
    members.add(hazelcast);
    FleetDecisions decisions = new FleetDecisions(hazelcast);
    decisions.start().get(30, TimeUnit.SECONDS);
    return decisions;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}

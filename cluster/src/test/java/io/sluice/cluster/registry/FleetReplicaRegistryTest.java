package io.sluice.cluster.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.sluice.autoscaler.replica.Endpoint;
import io.sluice.autoscaler.replica.ReplicaFailure;
import io.sluice.autoscaler.replica.ReplicaId;
import io.sluice.autoscaler.replica.ReplicaState;
import io.sluice.autoscaler.replica.ReplicaStatus;
import io.sluice.cluster.registry.FleetReplicaRegistry.Order;
import io.sluice.cluster.registry.FleetReplicaRegistry.Placed;
import io.sluice.config.AppId;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.assertj.core.groups.Tuple;
import org.awaitility.core.ThrowingRunnable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Real Hazelcast members on loopback, each with its registry, checked through what the data plane uses: the mirror
 * ({@code replicas(app)}, {@code all()}), the subscribers, and the orders a decider writes.
 */
class FleetReplicaRegistryTest {

  /** The registry's Hazelcast map, keyed by replica id: read only to check that what left the mirrors left it. */
  private static final String FLEET_MAP = "sluice.replicas";
  private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");
  /** The registries' clock: the time they stamp on a replica they drop themselves. */
  private static final Instant CLOCK = Instant.parse("2026-03-01T10:05:00Z");
  private static final AppId WEB = new AppId("shop", "web");
  private static final AppId API = new AppId("shop", "api");

  private final LoopbackFleet fleet = new LoopbackFleet();
  private final List<FleetReplicaRegistry> registries = new ArrayList<>();

  @AfterEach
  void leave() {
    fleet.close();
    registries.forEach(FleetReplicaRegistry::close);
  }

  @Test
  void a_status_written_on_one_member_reaches_every_members_mirror_and_the_others_subscribers() throws Exception {
    Node a = node();
    Node b = node();
    Node c = node();
    ReplicaStatus web = status(WEB, "web-1", ReplicaState.READY, Optional.of(new Endpoint("127.0.0.1", 9001)), 2);
    ReplicaStatus api = status(API, "api-1", ReplicaState.STARTING, Optional.empty(), 0);

    a.registry.update(web, 3);
    b.registry.update(api, 5);

    Placed webOnA = new Placed(web, a.self(), 3, Order.NONE);
    Placed apiOnB = new Placed(api, b.self(), 5, Order.NONE);
    for (Node node : List.of(a, b, c)) {
      eventually(() -> {
        assertThat(node.registry.replicas(WEB)).containsExactly(webOnA);
        assertThat(node.registry.replicas(API)).containsExactly(apiOnB);
        assertThat(node.registry.replicas(new AppId("shop", "none"))).isEmpty();
        assertThat(node.registry.all()).containsExactlyInAnyOrder(webOnA, apiOnB);
        assertThat(node.heard).containsExactlyInAnyOrder(webOnA, apiOnB);
      });
    }
    assertThat(webOnA.live()).isTrue();
  }

  @Test
  void a_member_hears_its_own_write_once_at_once_and_never_again_from_the_fleet() throws Exception {
    Node a = node();
    Node b = node();
    ReplicaStatus ready = status(WEB, "web-1", ReplicaState.READY, Optional.empty(), 0);

    a.registry.update(ready, 1);
    Placed readyOnA = new Placed(ready, a.self(), 1, Order.NONE);
    assertThat(a.heard).as("told on the writer's thread, before the fleet has it").containsExactly(readyOnA);
    assertThat(a.registry.all()).containsExactly(readyOnA);
    eventually(() -> assertThat(b.heard).containsExactly(readyOnA));

    // Changes of one replica reach a member in the order the map took them: once the member has heard the next
    // write, made by another member, the echo of its own earlier write has been and gone.
    b.registry.orderStop(ready.id());
    Placed stopOrdered = new Placed(ready, a.self(), 1, Order.STOP);
    eventually(() -> assertThat(a.heard).containsExactly(readyOnA, stopOrdered));

    ReplicaStatus stopping = ready.with(ReplicaState.STOPPING, "stop ordered", NOW.plusSeconds(1));
    a.registry.update(stopping, 1);
    Placed stoppingOnA = new Placed(stopping, a.self(), 1, Order.STOP);
    eventually(() -> assertThat(b.heard).containsExactly(readyOnA, stopOrdered, stoppingOnA));
    assertThat(a.heard).containsExactly(readyOnA, stopOrdered, stoppingOnA);
  }

  @Test
  void a_start_order_reaches_the_named_member_and_its_first_status_carries_it_out() throws Exception {
    Node a = node();
    Node decider = node();
    ReplicaId id = new ReplicaId(WEB, "web-7");

    decider.registry.orderStart(id, a.self(), 4, NOW);

    Placed ordered = new Placed(new ReplicaStatus(id, ReplicaState.STARTING, Optional.empty(), 0, "ordered", NOW),
        a.self(), 4, Order.START);
    assertThat(decider.registry.replicas(WEB)).as("pending on the decider at once").containsExactly(ordered);
    eventually(() -> {
      assertThat(a.registry.replicas(WEB)).containsExactly(ordered);
      assertThat(a.heard).containsExactly(ordered);
    });
    assertThat(ordered.live()).isTrue();

    ReplicaStatus ready = new ReplicaStatus(id, ReplicaState.READY, Optional.of(new Endpoint("127.0.0.1", 9007)), 0,
        "probe passed", NOW.plusSeconds(2));
    a.registry.update(ready, 4);

    Placed running = new Placed(ready, a.self(), 4, Order.NONE);
    eventually(() -> assertThat(decider.registry.replicas(WEB)).containsExactly(running));
    assertThat(decider.heard).containsExactly(ordered, running);
  }

  @Test
  void a_stop_order_stays_through_the_replicas_later_statuses_and_takes_it_out_of_routing() throws Exception {
    Node a = node();
    Node decider = node();
    ReplicaStatus ready = status(WEB, "web-1", ReplicaState.READY, Optional.of(new Endpoint("127.0.0.1", 9001)), 0);
    a.registry.update(ready, 2);
    eventually(() -> assertThat(decider.registry.replicas(WEB)).hasSize(1));

    decider.registry.orderStop(ready.id());

    Placed stopOrdered = new Placed(ready, a.self(), 2, Order.STOP);
    assertThat(decider.registry.replicas(WEB)).containsExactly(stopOrdered);
    assertThat(stopOrdered.live()).as("not routed, not counted").isFalse();
    eventually(() -> assertThat(a.registry.replicas(WEB)).containsExactly(stopOrdered));

    // The replica still runs its last requests: its node reports it, and the order must not be lost.
    ReplicaStatus notReady = ready.with(ReplicaState.NOT_READY, "probe failed", NOW.plusSeconds(1));
    a.registry.update(notReady, 2);
    Placed stillOrdered = new Placed(notReady, a.self(), 2, Order.STOP);
    assertThat(a.registry.replicas(WEB)).containsExactly(stillOrdered);
    eventually(() -> assertThat(decider.registry.replicas(WEB)).containsExactly(stillOrdered));
    assertThat(decider.heard).last().isEqualTo(stillOrdered);
  }

  @Test
  void a_terminal_status_is_heard_everywhere_then_the_replica_leaves_every_mirror_and_the_fleet() throws Exception {
    Node a = node();
    Node b = node();
    IMap<String, String> fleetMap = b.hazelcast.getMap(FLEET_MAP);
    ReplicaStatus ready = status(WEB, "web-1", ReplicaState.READY, Optional.empty(), 0);
    a.registry.update(ready, 1);
    eventually(() -> {
      assertThat(b.registry.all()).hasSize(1);
      assertThat(fleetMap.size()).isEqualTo(1);
    });

    ReplicaStatus failed = new ReplicaStatus(ready.id(), ReplicaState.FAILED, ready.endpoint(), 2,
        "exited with code 3; gave up after 3 starts", NOW.plusSeconds(9),
        Optional.of(ReplicaFailure.EXITED_BEFORE_READY));
    a.registry.update(failed, 1);

    Placed gone = new Placed(failed, a.self(), 1, Order.NONE);
    assertThat(a.registry.all()).as("gone from its own node at once").isEmpty();
    assertThat(a.heard).last().isEqualTo(gone);
    eventually(() -> {
      assertThat(b.registry.all()).isEmpty();
      assertThat(b.registry.replicas(WEB)).isEmpty();
      assertThat(b.heard).as("told why it went, the failure's code too").last().isEqualTo(gone);
      assertThat(fleetMap.size()).isZero();
    });
    assertThat(b.heard).hasSize(2);
  }

  @Test
  void a_forgotten_replica_leaves_every_mirror_and_the_fleet() throws Exception {
    Node a = node();
    Node decider = node();
    IMap<String, String> fleetMap = a.hazelcast.getMap(FLEET_MAP);
    ReplicaId id = new ReplicaId(WEB, "web-3");
    decider.registry.orderStart(id, a.self(), 1, NOW);
    eventually(() -> {
      assertThat(a.registry.all()).hasSize(1);
      assertThat(fleetMap.size()).isEqualTo(1);
    });

    decider.registry.forget(id);

    Placed forgotten = new Placed(new ReplicaStatus(id, ReplicaState.STOPPED, Optional.empty(), 0, "forgotten", CLOCK),
        a.self(), 1, Order.START);
    assertThat(decider.registry.all()).isEmpty();
    assertThat(decider.heard).last().isEqualTo(forgotten);
    eventually(() -> {
      assertThat(a.registry.all()).isEmpty();
      assertThat(a.heard).last().isEqualTo(forgotten);
      assertThat(fleetMap.size()).isZero();
    });
  }

  @Test
  void a_member_that_shuts_down_takes_its_replicas_out_of_every_mirror_and_the_fleet() throws Exception {
    Node oldest = node();
    Node leaving = node();
    Node other = node();
    IMap<String, String> fleetMap = other.hazelcast.getMap(FLEET_MAP);
    ReplicaStatus stays = status(WEB, "web-1", ReplicaState.READY, Optional.empty(), 0);
    ReplicaStatus goes1 = status(WEB, "web-2", ReplicaState.READY, Optional.empty(), 0);
    ReplicaStatus goes2 = status(API, "api-1", ReplicaState.STARTING, Optional.empty(), 0);
    oldest.registry.update(stays, 1);
    leaving.registry.update(goes1, 1);
    leaving.registry.update(goes2, 1);
    eventually(() -> {
      assertThat(oldest.registry.all()).hasSize(3);
      assertThat(other.registry.all()).hasSize(3);
      assertThat(fleetMap.size()).isEqualTo(3);
    });

    leaving.hazelcast.shutdown();

    assertReplicasLeft(List.of(oldest, other), leaving.self(), List.of(goes1, goes2),
        new Placed(stays, oldest.self(), 1, Order.NONE));
    eventually(() -> assertThat(fleetMap.keySet()).containsExactly(stays.id().toString()));
  }

  @Test
  void when_the_oldest_member_dies_the_next_oldest_removes_its_replicas_from_the_fleet() throws Exception {
    Node dying = node();
    Node next = node();
    Node other = node();
    IMap<String, String> fleetMap = other.hazelcast.getMap(FLEET_MAP);
    ReplicaStatus goes = status(WEB, "web-1", ReplicaState.READY, Optional.empty(), 0);
    ReplicaStatus stays = status(WEB, "web-2", ReplicaState.READY, Optional.empty(), 0);
    dying.registry.update(goes, 1);
    next.registry.update(stays, 1);
    eventually(() -> {
      assertThat(next.registry.all()).hasSize(2);
      assertThat(other.registry.all()).hasSize(2);
      assertThat(fleetMap.size()).isEqualTo(2);
    });

    fleet.awaitSafe();
    dying.hazelcast.getLifecycleService().terminate();

    assertReplicasLeft(List.of(next, other), dying.self(), List.of(goes),
        new Placed(stays, next.self(), 1, Order.NONE));
    eventually(() -> assertThat(fleetMap.keySet()).containsExactly(stays.id().toString()));
  }

  @Test
  void a_member_that_starts_later_finds_the_fleets_replicas_when_its_start_completes() throws Exception {
    Node a = node();
    ReplicaStatus ready = status(WEB, "web-1", ReplicaState.READY, Optional.of(new Endpoint("10.0.0.5", 31001)), 4);
    ReplicaStatus stopOrdered =
        status(WEB, "web-2", ReplicaState.READY, Optional.of(new Endpoint("10.0.0.5", 31002)), 0);
    ReplicaId ordered = new ReplicaId(API, "api-9");
    a.registry.update(ready, 6);
    a.registry.update(stopOrdered, 6);
    a.registry.orderStop(stopOrdered.id());
    a.registry.orderStart(ordered, a.self(), 2, NOW);
    IMap<String, String> fleetMap = a.hazelcast.getMap(FLEET_MAP);
    eventually(() -> assertThat(fleetMap.size()).isEqualTo(3));
    List<Placed> fleetHas = a.registry.all();

    Node late = node();

    assertThat(fleetHas).containsExactlyInAnyOrder(
        new Placed(ready, a.self(), 6, Order.NONE),
        new Placed(stopOrdered, a.self(), 6, Order.STOP),
        new Placed(new ReplicaStatus(ordered, ReplicaState.STARTING, Optional.empty(), 0, "ordered", NOW), a.self(), 2,
            Order.START));
    assertThat(late.registry.all()).containsExactlyInAnyOrderElementsOf(fleetHas);
    assertThat(late.heard).containsExactlyInAnyOrderElementsOf(fleetHas);
  }

  /**
   * Every member still in the fleet drops the gone member's replicas, tells its subscribers they stopped, and keeps the
   * rest. A member may learn of it from the map's removal before it learns that the member left: either way tells it.
   */
  private static void assertReplicasLeft(List<Node> remaining, String goneNode, List<ReplicaStatus> gone,
      Placed kept) {
    Tuple[] stopped = gone.stream().map(status -> tuple(status.id(), goneNode, CLOCK)).toArray(Tuple[]::new);
    for (Node node : remaining) {
      eventually(() -> {
        assertThat(node.registry.all()).containsExactly(kept);
        assertThat(node.heard)
            .filteredOn(placed -> placed.status().state() == ReplicaState.STOPPED)
            .extracting(Placed::id, Placed::node, placed -> placed.status().since())
            .containsOnly(stopped);
      });
    }
  }

  private record Node(HazelcastInstance hazelcast, FleetReplicaRegistry registry, List<Placed> heard) {

    String self() {
      return registry.self();
    }
  }

  private Node node() throws Exception {
    HazelcastInstance hazelcast = fleet.join();
    FleetReplicaRegistry registry = new FleetReplicaRegistry(hazelcast, InstantSource.fixed(CLOCK));
    registries.add(registry);
    List<Placed> heard = new CopyOnWriteArrayList<>();
    registry.subscribe(heard::add);
    registry.start().get(10, TimeUnit.SECONDS);
    return new Node(hazelcast, registry, heard);
  }

  private static ReplicaStatus status(AppId app, String name, ReplicaState state, Optional<Endpoint> endpoint,
      int restarts) {
    return new ReplicaStatus(new ReplicaId(app, name), state, endpoint, restarts, state.name().toLowerCase(), NOW);
  }

  private static void eventually(ThrowingRunnable assertion) {
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).untilAsserted(assertion);
  }
}

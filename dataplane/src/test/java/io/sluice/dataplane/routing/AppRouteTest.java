package io.sluice.dataplane.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.autoscaler.replica.ReplicaId;
import io.sluice.config.AppId;
import io.sluice.config.ConfigFormat;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AppRouteTest {

  static Vertx vertx;

  @BeforeAll
  static void vertx() {
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void close() {
    vertx.close();
  }

  private static AppRoute route(int hardLimit, int maxHeld, NodeDrain node) {
    return new AppRoute(AppDirectoryTest.spec("p", "a", ConfigFormat.CEREBRIUM_TOML, null, hardLimit), 1, maxHeld,
        node);
  }

  private static ReplicaId id(String name) {
    return new ReplicaId(new AppId("p", "a"), name);
  }

  private static void ready(AppRoute route, String name) {
    route.markReady(id(name), SocketAddress.inetSocketAddress(1, "127.0.0.1"));
  }

  @Test
  void a_replica_that_refused_a_connection_is_passed_over_for_a_while() {
    AppRoute route = route(10, 10, new NodeDrain());
    ready(route, "gone");
    ready(route, "alive");
    ReplicaSlot first = route.tryAcquire();
    RoutedReplica gone = route.readyReplicas().stream().filter(r -> r.id().name().equals("gone")).findFirst()
        .orElseThrow();
    gone.markUnreachable(System.nanoTime());
    first.release();

    for (int i = 0; i < 5; i++) {
      assertThat(route.tryAcquire().replica().id().name()).isEqualTo("alive");
    }
    gone.markUnreachable(System.nanoTime() - RoutedReplica.UNREACHABLE_NANOS);
    assertThat(route.tryAcquire().replica().id().name()).as("passed over no longer").isEqualTo("gone");
  }

  @Test
  void a_slot_goes_to_the_replica_with_the_fewest_requests_in_flight() {
    AppRoute route = route(10, 10, new NodeDrain());
    ready(route, "busy");
    route.tryAcquire();
    route.tryAcquire();
    ready(route, "idle");

    assertThat(route.tryAcquire().replica().id().name()).isEqualTo("idle");
  }

  @Test
  void replicas_never_get_more_than_the_hard_limit_even_when_many_threads_take_slots_at_once() throws Exception {
    AppRoute route = route(3, 10, new NodeDrain());
    ready(route, "r1");
    ready(route, "r2");
    AtomicInteger taken = new AtomicInteger();
    CountDownLatch go = new CountDownLatch(1);
    List<CompletableFuture<Void>> threads = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      threads.add(CompletableFuture.runAsync(() -> {
        try {
          go.await();
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
        for (int i = 0; i < 100; i++) {
          if (route.tryAcquire() != null) {
            taken.incrementAndGet();
          }
        }
      }));
    }
    go.countDown();
    CompletableFuture.allOf(threads.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);

    assertThat(taken).hasValue(6);
    assertThat(route.readyReplicas()).allSatisfy(r -> assertThat(r.inFlight()).isEqualTo(3));
  }

  @Test
  void a_slot_is_given_back_once_however_often_it_is_released() {
    NodeDrain node = new NodeDrain();
    AppRoute route = route(1, 10, node);
    ready(route, "r");
    ReplicaSlot slot = route.tryAcquire();

    slot.release();
    slot.release();

    assertThat(route.inFlight()).isZero();
    assertThat(node.inFlight()).isZero();
  }

  @Test
  void held_requests_get_freed_slots_oldest_first_on_their_own_context() throws Exception {
    AppRoute route = route(1, 10, new NodeDrain());
    ready(route, "r");
    ReplicaSlot first = route.tryAcquire();
    Context context = vertx.getOrCreateContext();
    List<String> served = new CopyOnWriteArrayList<>();
    List<CompletableFuture<ReplicaSlot>> slots = new ArrayList<>();
    for (String name : List.of("oldest", "middle", "newest")) {
      CompletableFuture<ReplicaSlot> got = new CompletableFuture<>();
      slots.add(got);
      assertThat(route.hold(on(context), System.nanoTime(), slot -> {
        assertThat(Vertx.currentContext()).isSameAs(context);
        served.add(name);
        got.complete(slot);
      })).isNotNull();
    }
    assertThat(route.heldCount()).isEqualTo(3);

    first.release();
    slots.get(0).get(5, TimeUnit.SECONDS).release();
    slots.get(1).get(5, TimeUnit.SECONDS).release();
    slots.get(2).get(5, TimeUnit.SECONDS).release();

    assertThat(served).containsExactly("oldest", "middle", "newest");
    assertThat(route.heldCount()).isZero();
  }

  @Test
  void a_full_hold_queue_takes_no_more() {
    AppRoute route = route(1, 2, new NodeDrain());
    Context context = vertx.getOrCreateContext();

    assertThat(route.hold(on(context), 0, slot -> { })).isNotNull();
    assertThat(route.hold(on(context), 0, slot -> { })).isNotNull();
    assertThat(route.hold(on(context), 0, slot -> { })).isNull();
  }

  @Test
  void a_withdrawn_request_never_gets_a_slot() throws Exception {
    AppRoute route = route(1, 10, new NodeDrain());
    Context context = vertx.getOrCreateContext();
    CompletableFuture<ReplicaSlot> gone = new CompletableFuture<>();
    CompletableFuture<ReplicaSlot> next = new CompletableFuture<>();
    HeldRequest withdrawn = route.hold(on(context), 0, gone::complete);
    route.hold(on(context), 0, next::complete);

    assertThat(route.withdraw(withdrawn)).isTrue();
    ready(route, "r");

    assertThat(next.get(5, TimeUnit.SECONDS)).isNotNull();
    assertThat(gone).isNotDone();
    assertThat(route.withdraw(withdrawn)).isFalse();
  }

  @Test
  void a_request_held_while_no_replica_is_ready_signals_demand_at_once() {
    AppRoute route = route(1, 10, new NodeDrain());
    AtomicInteger pokes = new AtomicInteger();
    route.onDemand(pokes::incrementAndGet);

    route.hold(on(vertx.getOrCreateContext()), 0, slot -> { });

    assertThat(pokes).hasValue(1);
  }

  /** The request's event loop, as the proxy hands it to the hold queue. */
  private static java.util.concurrent.Executor on(Context context) {
    return task -> context.runOnContext(v -> task.run());
  }
}

package io.sluice.dataplane.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.autoscaler.replica.ReplicaId;
import io.sluice.config.AppId;
import io.vertx.core.net.SocketAddress;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReplicaPickerTest {

  private static final NodeDrain NODE = new NodeDrain();

  private static RoutedReplica replica(String name) {
    return new RoutedReplica(new ReplicaId(new AppId("p", "a"), name), SocketAddress.inetSocketAddress(1, "h"));
  }

  @Test
  void picks_the_replica_with_the_fewest_requests_in_flight() {
    RoutedReplica busy = replica("busy");
    RoutedReplica idle = replica("idle");
    busy.acquire(NODE);
    busy.acquire(NODE);
    idle.acquire(NODE);

    assertThat(new ReplicaPicker().pick(new RoutedReplica[] {busy, idle})).isSameAs(idle);
  }

  @Test
  void equal_replicas_share_the_load() {
    RoutedReplica a = replica("a");
    RoutedReplica b = replica("b");
    ReplicaPicker picker = new ReplicaPicker();
    Set<RoutedReplica> picked = new HashSet<>();

    for (int i = 0; i < 4; i++) {
      picked.add(picker.pick(new RoutedReplica[] {a, b}));
    }

    assertThat(picked).containsExactlyInAnyOrder(a, b);
  }

  @Test
  void a_slot_is_given_back_once_however_often_it_is_released() {
    NodeDrain node = new NodeDrain();
    RoutedReplica r = replica("r");
    ReplicaSlot slot = r.acquire(node);

    slot.release();
    slot.release();

    assertThat(r.inFlight()).isZero();
    assertThat(node.inFlight()).isZero();
  }

  @Test
  void no_replica_means_nothing_to_pick() {
    assertThat(new ReplicaPicker().pick(new RoutedReplica[0])).isNull();
  }
}

package io.sluice.cluster.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.autoscaler.replica.Endpoint;
import io.sluice.autoscaler.replica.ReplicaId;
import io.sluice.autoscaler.replica.ReplicaState;
import io.sluice.autoscaler.replica.ReplicaStatus;
import io.sluice.config.AppId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class InMemoryReplicaRegistryTest {

  private static final AppId APP = new AppId("local", "hello");
  private static final Instant T0 = Instant.parse("2026-11-23T10:00:00Z");

  private static ReplicaStatus status(String name, ReplicaState state) {
    return new ReplicaStatus(
        new ReplicaId(APP, name), state, Optional.of(new Endpoint("127.0.0.1", 40000)), 0, "", T0);
  }

  @Test
  void latest_status_of_each_replica_is_kept_in_first_seen_order() {
    InMemoryReplicaRegistry registry = new InMemoryReplicaRegistry();
    registry.update(status("a", ReplicaState.STARTING));
    registry.update(status("b", ReplicaState.STARTING));
    registry.update(status("a", ReplicaState.READY));

    assertThat(registry.replicas(APP))
        .extracting(s -> s.id().name() + ":" + s.state())
        .containsExactly("a:READY", "b:STARTING");
  }

  @Test
  void a_stopped_replica_leaves_the_registry_but_subscribers_see_it_go() {
    InMemoryReplicaRegistry registry = new InMemoryReplicaRegistry();
    List<ReplicaState> seen = new ArrayList<>();
    registry.subscribe(s -> seen.add(s.state()));

    registry.update(status("a", ReplicaState.READY));
    registry.update(status("a", ReplicaState.STOPPED));

    assertThat(registry.replicas(APP)).isEmpty();
    assertThat(seen).containsExactly(ReplicaState.READY, ReplicaState.STOPPED);
  }

  @Test
  void an_unknown_app_has_no_replicas() {
    assertThat(new InMemoryReplicaRegistry().replicas(new AppId("other", "app"))).isEmpty();
  }
}

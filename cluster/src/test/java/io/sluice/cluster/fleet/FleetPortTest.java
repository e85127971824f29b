package io.sluice.cluster.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FleetPortTest {

  private final String fleet = "fleet-" + UUID.randomUUID();
  private final List<HazelcastInstance> members = new ArrayList<>();

  @AfterEach
  void stop() {
    members.forEach(member -> member.getLifecycleService().terminate());
  }

  @Test
  void a_node_whose_fleet_port_is_taken_listens_on_a_later_one_and_tells_the_fleet_that_one() throws IOException {
    try (ServerSocket squatter = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int taken = squatter.getLocalPort();

      HazelcastInstance first = start(taken, List.of());
      int advertised = first.getCluster().getLocalMember().getAddress().getPort();
      assertThat(advertised).isNotEqualTo(taken);
      // Joined through the address the first node gives, the second must then reach it there, not at the taken port.
      HazelcastInstance second = start(freePort(), List.of("127.0.0.1:" + advertised));

      assertThat(first.getCluster().getMembers()).hasSize(2);
      assertThat(second.getCluster().getMembers()).hasSize(2)
          .anySatisfy(member -> assertThat(member.getAddress().getPort()).isEqualTo(advertised));
    }
  }

  private HazelcastInstance start(int port, List<String> others) {
    Config config = Fleet.hazelcastConfig(FleetOptions.alone().named(fleet).joining("127.0.0.1", port, others));
    // A member that cannot join fails in seconds, not after Hazelcast's five minutes.
    config.setProperty("hazelcast.max.join.seconds", "20");
    HazelcastInstance member = Hazelcast.newHazelcastInstance(config);
    members.add(member);
    return member;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}

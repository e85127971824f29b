package io.sluice.cluster.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.HazelcastInstance;
import io.sluice.cluster.registry.LoopbackFleet;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

class FleetPortTest {

  @Test
  void a_node_whose_fleet_port_is_taken_listens_on_a_later_one_and_tells_the_fleet_that_one() throws IOException {
    try (ServerSocket squatter = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        LoopbackFleet fleet = new LoopbackFleet()) {
      int taken = squatter.getLocalPort();

      HazelcastInstance first = fleet.joinOn(taken);
      int advertised = first.getCluster().getLocalMember().getAddress().getPort();
      assertThat(advertised).isNotEqualTo(taken);
      // Joined through the address the first node gives, the second must then reach it there, not at the taken port.
      HazelcastInstance second = fleet.join();

      assertThat(first.getCluster().getMembers()).hasSize(2);
      assertThat(second.getCluster().getMembers()).hasSize(2)
          .anySatisfy(member -> assertThat(member.getAddress().getPort()).isEqualTo(advertised));
    }
  }
}

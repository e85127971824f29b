package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.cluster.fleet.FleetOptions;
import io.sluice.dataplane.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Nodes find each other by a member list on loopback, and only within a fleet of their own name. */
class FleetMembershipTest {

  @TempDir
  Path temp;

  @Test
  void a_node_given_another_as_member_joins_its_fleet_and_leaves_it_when_stopped() throws Exception {
    String name = "fleet-" + UUID.randomUUID();
    int firstPort = freePort();
    try (TestNode first = TestNode.start(TestNode.options(temp.resolve("a"))
        .fleet(FleetOptions.alone().named(name).joining("127.0.0.1", firstPort, List.of())).build())) {
      try (TestNode second = TestNode.start(TestNode.options(temp.resolve("b"))
          .fleet(FleetOptions.alone().named(name).joining("127.0.0.1", freePort(),
              List.of("127.0.0.1:" + firstPort))).build())) {

        JsonObject seenByFirst = first.adminJson("/v1/fleet");
        JsonObject seenBySecond = second.adminJson("/v1/fleet");

        assertThat(seenByFirst.getString("name")).isEqualTo(name);
        assertThat(members(seenByFirst)).hasSize(2);
        assertThat(members(seenBySecond)).hasSize(2);
        assertThat(seenByFirst.getJsonArray("members").getJsonObject(0).getBoolean("local")).isTrue();
        assertThat(seenByFirst.getJsonArray("members").getJsonObject(0).getString("address"))
            .isEqualTo("127.0.0.1:" + firstPort);
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> members(first.adminJson("/v1/fleet")).size() == 1);
    }
  }

  @Test
  void a_node_of_another_fleet_name_does_not_join() throws Exception {
    int firstPort = freePort();
    try (TestNode first = TestNode.start(TestNode.options(temp.resolve("a"))
        .fleet(FleetOptions.alone().named("fleet-" + UUID.randomUUID())
            .joining("127.0.0.1", firstPort, List.of())).build());
        TestNode stranger = TestNode.start(TestNode.options(temp.resolve("b"))
            .fleet(FleetOptions.alone().named("other-" + UUID.randomUUID())
                .joining("127.0.0.1", freePort(), List.of("127.0.0.1:" + firstPort))).build())) {

      assertThat(members(first.adminJson("/v1/fleet"))).hasSize(1);
      assertThat(members(stranger.adminJson("/v1/fleet"))).hasSize(1);
    }
  }

  @Test
  void nodes_of_one_name_that_name_no_members_stay_fleets_of_one() throws Exception {
    String name = "fleet-" + UUID.randomUUID();
    try (TestNode first = TestNode.start(TestNode.options(temp.resolve("a"))
        .fleet(FleetOptions.alone().named(name)).build());
        TestNode second = TestNode.start(TestNode.options(temp.resolve("b"))
            .fleet(FleetOptions.alone().named(name)).build())) {

      assertThat(members(first.adminJson("/v1/fleet"))).hasSize(1);
      assertThat(members(second.adminJson("/v1/fleet"))).hasSize(1);
    }
  }

  @Test
  void nodes_given_bus_ports_listen_for_the_fleets_event_bus_there_and_form_one_fleet() throws Exception {
    String name = "fleet-" + UUID.randomUUID();
    int firstPort = freePort();
    int firstBus = freePort();
    int secondBus = freePort();
    try (TestNode first = TestNode.start(TestNode.options(temp.resolve("a"))
        .fleet(FleetOptions.alone().named(name).joining("127.0.0.1", firstPort, List.of()).withBusPort(firstBus))
        .build());
        TestNode second = TestNode.start(TestNode.options(temp.resolve("b"))
            .fleet(FleetOptions.alone().named(name).joining("127.0.0.1", freePort(),
                List.of("127.0.0.1:" + firstPort)).withBusPort(secondBus)).build())) {

      assertThat(members(first.adminJson("/v1/fleet"))).hasSize(2);
      for (int bus : List.of(firstBus, secondBus)) {
        try (java.net.Socket connected = new java.net.Socket(InetAddress.getLoopbackAddress(), bus)) {
          assertThat(connected.isConnected()).as("event bus on port %d", bus).isTrue();
        }
      }
    }
  }

  private static JsonArray members(JsonObject fleet) {
    return fleet.getJsonArray("members");
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}

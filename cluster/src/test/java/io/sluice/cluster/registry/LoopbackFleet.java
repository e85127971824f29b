package io.sluice.cluster.registry;

import static org.awaitility.Awaitility.await;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.sluice.cluster.fleet.Fleet;
import io.sluice.cluster.fleet.FleetOptions;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Real Hazelcast members of one fleet on loopback, configured as a node configures them ({@link Fleet#hazelcastConfig}:
 * TCP/IP join, no multicast), each on a port of its own. Closing it ends every member still running.
 */
public final class LoopbackFleet implements AutoCloseable {

  private final String name = "fleet-" + UUID.randomUUID();
  private final List<HazelcastInstance> members = new CopyOnWriteArrayList<>();
  private final List<String> addresses = new CopyOnWriteArrayList<>();

  /** Starts one more member; it has joined the others when this returns. */
  public HazelcastInstance join() throws IOException {
    return joinOn(freePort());
  }

  /**
   * Starts one more member on a fleet port of the caller's choosing; the members after it join through the address it
   * gives the fleet.
   */
  public HazelcastInstance joinOn(int port) {
    Config config = Fleet.hazelcastConfig(
        FleetOptions.alone().named(name).joining("127.0.0.1", port, List.copyOf(addresses)));
    // A member that dies without a word is noticed in seconds instead of Hazelcast's default minute.
    config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
    config.setProperty("hazelcast.max.no.heartbeat.seconds", "5");
    HazelcastInstance member = Hazelcast.newHazelcastInstance(config);
    members.add(member);
    addresses.add("127.0.0.1:" + member.getCluster().getLocalMember().getAddress().getPort());
    return member;
  }

  /**
   * Waits until no partition is migrating and every backup is in place: only then does the fleet survive a member
   * dying without a word (a member killed while partitions still move to a newcomer takes their data with it).
   */
  void awaitSafe() {
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
        .until(() -> members.stream().filter(member -> member.getLifecycleService().isRunning()).findFirst()
            .orElseThrow().getPartitionService().isClusterSafe());
  }

  /** Ends every member at once: a test's fleet has nothing to hand over. */
  @Override
  public void close() {
    members.forEach(member -> member.getLifecycleService().terminate());
    members.clear();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}

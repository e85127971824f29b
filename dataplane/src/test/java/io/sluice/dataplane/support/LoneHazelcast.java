package io.sluice.dataplane.support;

import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.sluice.cluster.fleet.Fleet;
import io.sluice.cluster.fleet.FleetOptions;
import io.sluice.cluster.state.FleetMap;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Fleets of one real Hazelcast member, for tests of what keeps its state in fleet maps. Each {@link #restart()} is a
 * new fleet, as after a restart of every node: what survives it is what the state folders kept.
 */
public final class LoneHazelcast implements AutoCloseable {

  private final List<HazelcastInstance> started = new ArrayList<>();
  private HazelcastInstance current;

  public LoneHazelcast() throws IOException {
    restart();
  }

  public HazelcastInstance restart() throws IOException {
    if (current != null) {
      current.shutdown();
    }
    int port;
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = socket.getLocalPort();
    }
    current = Hazelcast.newHazelcastInstance(Fleet.hazelcastConfig(
        FleetOptions.alone().named("lone-" + UUID.randomUUID()).joining("127.0.0.1", port, List.of())));
    started.add(current);
    return current;
  }

  /** A fleet map kept in {@code folder}, not yet started. */
  public FleetMap map(String name, Path folder) {
    return new FleetMap(current, name, folder, InstantSource.system());
  }

  @Override
  public void close() {
    started.forEach(HazelcastInstance::shutdown);
  }
}

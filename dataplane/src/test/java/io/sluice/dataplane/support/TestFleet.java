package io.sluice.dataplane.support;

import io.sluice.cluster.fleet.FleetOptions;
import io.sluice.dataplane.node.NodeOptions;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.UnaryOperator;

/** Nodes of one fleet on loopback, in this JVM: each with its own state folder and fleet port, joining the others. */
public final class TestFleet implements AutoCloseable {

  private final String name = "fleet-" + UUID.randomUUID();
  private final Path root;
  private final UnaryOperator<NodeOptions.Builder> tuning;
  private final List<TestNode> nodes = new ArrayList<>();
  private final java.util.Map<Integer, Integer> ports = new java.util.TreeMap<>();

  public TestFleet(Path root, UnaryOperator<NodeOptions.Builder> tuning) {
    this.root = root;
    this.tuning = tuning;
  }

  public TestFleet(Path root) {
    this(root, builder -> builder);
  }

  /** Starts node {@code n} (its state folder is {@code root/node-n} and its fleet port its own; starting it again reuses both). */
  public TestNode start(int n) throws Exception {
    int port = ports.containsKey(n) ? ports.get(n) : freePort();
    ports.put(n, port);
    List<String> join = new ArrayList<>();
    ports.forEach((other, otherPort) -> {
      if (other != n) {
        join.add("127.0.0.1:" + otherPort);
      }
    });
    NodeOptions.Builder options = TestNode.options(root.resolve("node-" + n))
        .fleet(FleetOptions.alone().named(name).joining("127.0.0.1", port, join));
    TestNode node = TestNode.start(tuning.apply(options).build());
    nodes.add(node);
    return node;
  }

  /** Stops a node in an orderly way (a drain); it leaves the fleet. */
  public void stop(TestNode node) throws Exception {
    nodes.remove(node);
    node.close();
  }

  @Override
  public void close() throws Exception {
    Exception first = null;
    for (TestNode node : List.copyOf(nodes)) {
      try {
        stop(node);
      } catch (Exception e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }
}

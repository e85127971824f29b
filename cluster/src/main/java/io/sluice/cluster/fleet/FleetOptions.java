package io.sluice.cluster.fleet;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How a node finds the rest of its fleet. Multicast is never used: members are named (TCP/IP join), or found through
 * Kubernetes (a headless service's DNS name), or there are none and the node is a fleet of one.
 *
 * @param clusterName nodes join only a fleet of the same name
 * @param host the address this node's fleet traffic binds to and is reached at
 * @param port the fleet port (Hazelcast's; the next ones are tried when it is taken)
 * @param members {@code host[:port]} of other nodes to join through; empty for a fleet of one
 * @param kubernetesServiceDns when set, members are found through this headless service instead of {@code members}
 * @param busPort the port of the Vert.x event bus between nodes, on {@code host}; 0 for any free port. A fixed one
 *     lets a network policy (or a firewall) allow exactly the fleet's traffic between pods.
 */
public record FleetOptions(
    String clusterName, String host, int port, List<String> members, Optional<String> kubernetesServiceDns,
    int busPort) {

  public static final String DEFAULT_CLUSTER_NAME = "sluice";
  public static final int DEFAULT_PORT = 5701;

  public FleetOptions {
    Objects.requireNonNull(clusterName, "clusterName");
    Objects.requireNonNull(host, "host");
    members = List.copyOf(members);
    Objects.requireNonNull(kubernetesServiceDns, "kubernetesServiceDns");
    if (clusterName.isBlank()) {
      throw new IllegalArgumentException("clusterName: empty (expected: a name, e.g. " + DEFAULT_CLUSTER_NAME + ")");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("fleet port: " + port + " (expected: 1..65535)");
    }
    if (kubernetesServiceDns.isPresent() && kubernetesServiceDns.get().isBlank()) {
      throw new IllegalArgumentException("kubernetesServiceDns: empty (expected: the headless service's DNS name, "
          + "e.g. sluice-fleet.sluice.svc)");
    }
    if (busPort < 0 || busPort > 65535) {
      throw new IllegalArgumentException("bus port: " + busPort + " (expected: 0..65535, 0 for any free port)");
    }
  }

  /** A fleet of one on loopback: the embedded default. */
  public static FleetOptions alone() {
    return new FleetOptions(DEFAULT_CLUSTER_NAME, "127.0.0.1", DEFAULT_PORT, List.of(), Optional.empty(), 0);
  }

  public FleetOptions joining(String fleetHost, int fleetPort, List<String> others) {
    return new FleetOptions(clusterName, fleetHost, fleetPort, others, kubernetesServiceDns, busPort);
  }

  public FleetOptions named(String name) {
    return new FleetOptions(name, host, port, members, kubernetesServiceDns, busPort);
  }

  /** Members are found by a DNS lookup of a Kubernetes headless service rather than named. */
  public FleetOptions discoveredThrough(String serviceDns) {
    return new FleetOptions(clusterName, host, port, List.of(), Optional.of(serviceDns), busPort);
  }

  public FleetOptions withBusPort(int port) {
    return new FleetOptions(clusterName, host, this.port, members, kubernetesServiceDns, port);
  }
}

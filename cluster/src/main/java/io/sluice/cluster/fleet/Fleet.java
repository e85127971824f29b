package io.sluice.cluster.fleet;

import com.hazelcast.cluster.Member;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.HazelcastInstance;
import io.sluice.cluster.runs.FleetRuns;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.util.Comparator;
import java.util.List;

/**
 * The node's membership in its fleet: Vert.x's Hazelcast cluster manager, on a Hazelcast configured for Sluice.
 *
 * <p>Hazelcast is told what a data plane needs: members named or found through Kubernetes, never multicast; no phone
 * home; its logs through SLF4J; no shutdown hook of its own (the node leaves the fleet as the last step of its drain);
 * and no wait before joining, so that a node alone starts at once.
 */
public final class Fleet {

  /** A member as the admin API shows it. */
  public record FleetMember(String id, String address, boolean local) {}

  private final HazelcastClusterManager clusterManager;

  private Fleet(HazelcastClusterManager clusterManager) {
    this.clusterManager = clusterManager;
  }

  public static Fleet create(FleetOptions options) {
    return new Fleet(new HazelcastClusterManager(hazelcastConfig(options)));
  }

  /** The Hazelcast config of a node with these options. */
  public static Config hazelcastConfig(FleetOptions options) {
    Config config = new Config().setClusterName(options.clusterName());
    config.setProperty("hazelcast.logging.type", "slf4j");
    config.setProperty("hazelcast.phone.home.enabled", "false");
    config.setProperty("hazelcast.shutdownhook.enabled", "false");
    config.setProperty("hazelcast.wait.seconds.before.join", "0");
    // Hazelcast's own metrics are gathered every 5 seconds for Management Center (compressed) and JMX, neither of which
    // a Sluice fleet has: that work ran on the node's cores next to its event loops for nothing. Sluice's metrics are
    // its own (Micrometer).
    config.getMetricsConfig().setEnabled(false);
    // The public address names the host only: Hazelcast adds the port it did bind, which is a later one when the
    // fleet port is taken. With the configured port in it, such a node told the fleet a port where it was not.
    NetworkConfig network = config.getNetworkConfig()
        .setPort(options.port())
        .setPortAutoIncrement(true)
        .setPublicAddress(options.host());
    network.getInterfaces().setEnabled(true).addInterface(options.host());
    network.getRestApiConfig().setEnabled(false);
    // Accepted runs must survive a node's death: each write waits for its backup (Hazelcast's default, said here).
    for (String runs : List.of(FleetRuns.RUNS, FleetRuns.BODIES, FleetRuns.DUE)) {
      config.addMapConfig(new MapConfig(runs).setBackupCount(1).setAsyncBackupCount(0));
    }
    JoinConfig join = network.getJoin();
    join.getMulticastConfig().setEnabled(false);
    join.getAutoDetectionConfig().setEnabled(false);
    if (options.kubernetesServiceDns().isPresent()) {
      join.getTcpIpConfig().setEnabled(false);
      // DNS-lookup mode: the headless service's A records are the members' pod IPs, and the port is ours (Hazelcast
      // would otherwise assume 5701). No Kubernetes API call, so the node's Role needs nothing for discovery.
      join.getKubernetesConfig().setEnabled(true)
          .setProperty("service-dns", options.kubernetesServiceDns().get())
          .setProperty("service-port", Integer.toString(options.port()));
    } else {
      join.getTcpIpConfig().setEnabled(true).setMembers(options.members());
    }
    return config;
  }

  public HazelcastClusterManager clusterManager() {
    return clusterManager;
  }

  /**
   * Whether this node owns the Hazelcast partition of {@code key} now: how one node of the fleet is chosen for a
   * job, moving to another when it leaves, with no election of our own. Local, no round trip.
   */
  public boolean owns(String key) {
    Member owner = clusterManager.getHazelcastInstance().getPartitionService().getPartition(key).getOwner();
    return owner != null && owner.localMember();
  }

  /**
   * Waits until the partition of {@code key} has an owner (Hazelcast assigns partitions at first use), so that a node
   * that has just started knows at once whether the key is its. Blocking.
   */
  public void awaitOwner(String key) {
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    var partitions = clusterManager.getHazelcastInstance().getPartitionService();
    while (partitions.getPartition(key).getOwner() == null && System.nanoTime() < deadline) {
      java.util.concurrent.locks.LockSupport.parkNanos(java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(10));
    }
  }

  /** This node's id in the fleet. */
  public String self() {
    return clusterManager.getHazelcastInstance().getCluster().getLocalMember().getUuid().toString();
  }

  /** The ids of the members now, in the fleet's order (oldest first). */
  public List<String> memberIds() {
    return clusterManager.getHazelcastInstance().getCluster().getMembers().stream()
        .map(member -> member.getUuid().toString()).toList();
  }

  /** The members now, this node first. Call once the node has joined. */
  public List<FleetMember> members() {
    HazelcastInstance hazelcast = clusterManager.getHazelcastInstance();
    Member self = hazelcast.getCluster().getLocalMember();
    return hazelcast.getCluster().getMembers().stream()
        .map(member -> new FleetMember(member.getUuid().toString(), member.getAddress().getHost() + ":"
            + member.getAddress().getPort(), member.equals(self)))
        .sorted(Comparator.comparing((FleetMember member) -> !member.local()).thenComparing(FleetMember::address))
        .toList();
  }
}

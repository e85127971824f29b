package io.sluice.cluster.fleet;

import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Chooses how a node finds its fleet from where it runs, so that a fleet in Kubernetes forms with no config for the
 * user to write.
 *
 * <p>In a pod ({@value #IN_POD_ENV} is set by the kubelet in every container) whose manifests name the fleet's
 * headless service in {@value #SERVICE_DNS_ENV}, members are found by a DNS lookup of that service: Hazelcast's
 * Kubernetes discovery in DNS-lookup mode, which reads no Kubernetes API and so needs no RBAC at all. Anywhere else the
 * node joins the members that {@code --join} names (TCP/IP), or is a fleet of one.
 */
public final class FleetDiscovery {

  /** The fleet's headless service, e.g. {@code sluice-fleet.sluice.svc}; the manifests in {@code k8s/} set it. */
  public static final String SERVICE_DNS_ENV = "SLUICE_FLEET_DNS";
  /** Set in every container of a Kubernetes pod: the API server's address. */
  public static final String IN_POD_ENV = "KUBERNETES_SERVICE_HOST";

  private static final Set<String> UNREACHABLE_HOSTS = Set.of("localhost", "0.0.0.0", "::", "::1", "[::1]");

  private FleetDiscovery() {}

  /**
   * The fleet options the node runs with.
   *
   * @param given what the command line says: the fleet's name and this node's address, and {@code --join}'s members
   * @param env the node's environment ({@code System.getenv()})
   * @throws IllegalArgumentException when the environment and the command line disagree, naming both and the fix
   */
  public static FleetOptions resolve(FleetOptions given, Map<String, String> env) {
    Objects.requireNonNull(given, "given");
    Objects.requireNonNull(env, "env");
    String serviceDns = env.getOrDefault(SERVICE_DNS_ENV, "").trim();
    if (serviceDns.isEmpty()) {
      return given;
    }
    if (env.getOrDefault(IN_POD_ENV, "").isBlank()) {
      throw new IllegalArgumentException(SERVICE_DNS_ENV + "=" + serviceDns + ": set, but this node is not in a "
          + "Kubernetes pod (" + IN_POD_ENV + " is not set) (expected: " + SERVICE_DNS_ENV
          + " unset outside Kubernetes; name the other nodes with --join HOST[:PORT])");
    }
    if (!given.members().isEmpty()) {
      throw new IllegalArgumentException("--join " + String.join(",", given.members()) + " and " + SERVICE_DNS_ENV
          + "=" + serviceDns + ": both say where the fleet's members are (expected: one of them; in a pod, drop "
          + "--join and let the headless service find them)");
    }
    String host = given.host().trim();
    if (host.startsWith("127.") || UNREACHABLE_HOSTS.contains(host)) {
      throw new IllegalArgumentException("--fleet-host " + host + ": other pods cannot reach this node there "
          + "(expected: the pod's IP, from the downward API's status.podIP, as k8s/base/deployment.yaml gives it)");
    }
    return given.discoveredThrough(serviceDns);
  }
}

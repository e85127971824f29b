package io.sluice.cluster.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hazelcast.config.JoinConfig;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class FleetDiscoveryTest {

  private static final String POD_IP = "10.4.2.17";
  private static final String FLEET_DNS = "sluice-fleet.sluice.svc";
  /** What the kubelet and k8s/base/deployment.yaml put in the node's environment. */
  private static final Map<String, String> IN_POD = Map.of(
      "KUBERNETES_SERVICE_HOST", "10.96.0.1", "SLUICE_FLEET_DNS", FLEET_DNS, "SLUICE_POD_IP", POD_IP);

  record Case(String name, Map<String, String> env, String fleetHost, List<String> join,
      Optional<String> wantServiceDns, List<String> wantMembers) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> resolutions() {
    return Stream.of(
        new Case("outside a pod, --join names the members", Map.of(), "192.168.1.5", List.of("192.168.1.6:5701"),
            Optional.empty(), List.of("192.168.1.6:5701")),
        new Case("outside a pod, without --join the node is a fleet of one", Map.of(), "127.0.0.1", List.of(),
            Optional.empty(), List.of()),
        new Case("in a pod whose manifests name the headless service, members are found through its DNS name",
            IN_POD, POD_IP, List.of(), Optional.of(FLEET_DNS), List.of()),
        new Case("in a pod with no service named, --join still works", Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1"),
            POD_IP, List.of("10.4.2.18"), Optional.empty(), List.of("10.4.2.18")),
        new Case("a blank service name is no service name", Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1",
            "SLUICE_FLEET_DNS", "  "), POD_IP, List.of(), Optional.empty(), List.of()),
        new Case("the service name is trimmed", Map.of("KUBERNETES_SERVICE_HOST", "10.96.0.1",
            "SLUICE_FLEET_DNS", " " + FLEET_DNS + "\n"), POD_IP, List.of(), Optional.of(FLEET_DNS), List.of()));
  }

  @ParameterizedTest
  @MethodSource("resolutions")
  void resolves_how_the_node_finds_its_fleet(Case c) {
    FleetOptions given = FleetOptions.alone().named("prod").joining(c.fleetHost(), 5701, c.join()).withBusPort(5801);

    FleetOptions resolved = FleetDiscovery.resolve(given, c.env());

    assertThat(resolved.kubernetesServiceDns()).isEqualTo(c.wantServiceDns());
    assertThat(resolved.members()).isEqualTo(c.wantMembers());
    assertThat(resolved.clusterName()).isEqualTo("prod");
    assertThat(resolved.host()).isEqualTo(c.fleetHost());
    assertThat(resolved.port()).isEqualTo(5701);
    assertThat(resolved.busPort()).isEqualTo(5801);
  }

  record Refusal(String name, Map<String, String> env, String fleetHost, List<String> join, String wantMessage) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Refusal> refusals() {
    return Stream.of(
        new Refusal("a service name outside a pod", Map.of("SLUICE_FLEET_DNS", FLEET_DNS), "192.168.1.5", List.of(),
            "SLUICE_FLEET_DNS=" + FLEET_DNS + ": set, but this node is not in a Kubernetes pod"),
        new Refusal("a service name and --join", IN_POD, POD_IP, List.of("10.4.2.18:5701"),
            "--join 10.4.2.18:5701 and SLUICE_FLEET_DNS=" + FLEET_DNS + ": both say where"),
        new Refusal("a service name with the loopback default fleet host", IN_POD, "127.0.0.1", List.of(),
            "--fleet-host 127.0.0.1: other pods cannot reach this node there"),
        new Refusal("a service name with the wildcard address as fleet host", IN_POD, "0.0.0.0", List.of(),
            "--fleet-host 0.0.0.0: other pods cannot reach this node there"));
  }

  @ParameterizedTest
  @MethodSource("refusals")
  void refuses_a_contradiction_naming_both_sides_and_the_fix(Refusal r) {
    FleetOptions given = FleetOptions.alone().joining(r.fleetHost(), 5701, r.join());

    assertThatThrownBy(() -> FleetDiscovery.resolve(given, r.env()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(r.wantMessage())
        .hasMessageContaining("(expected: ");
  }

  @Test
  void a_pod_joins_through_hazelcasts_kubernetes_dns_lookup_on_the_fleet_port_and_never_over_tcp_ip_or_multicast() {
    FleetOptions resolved = FleetDiscovery.resolve(FleetOptions.alone().joining(POD_IP, 5710, List.of()), IN_POD);

    JoinConfig join = Fleet.hazelcastConfig(resolved).getNetworkConfig().getJoin();

    assertThat(join.getKubernetesConfig().isEnabled()).isTrue();
    assertThat(join.getKubernetesConfig().getProperties())
        .containsEntry("service-dns", FLEET_DNS)
        .containsEntry("service-port", "5710")
        // DNS lookup only: with none of the API mode's keys, Hazelcast never calls the Kubernetes API.
        .doesNotContainKeys("service-name", "service-label-name", "pod-label-name", "namespace", "kubernetes-master");
    assertThat(join.getTcpIpConfig().isEnabled()).isFalse();
    assertThat(join.getMulticastConfig().isEnabled()).isFalse();
    assertThat(join.getAutoDetectionConfig().isEnabled()).isFalse();
  }

  @Test
  void outside_a_pod_members_are_joined_over_tcp_ip_with_kubernetes_discovery_off() {
    FleetOptions resolved = FleetDiscovery.resolve(
        FleetOptions.alone().joining("192.168.1.5", 5701, List.of("192.168.1.6")), Map.of());

    JoinConfig join = Fleet.hazelcastConfig(resolved).getNetworkConfig().getJoin();

    assertThat(join.getKubernetesConfig().isEnabled()).isFalse();
    assertThat(join.getTcpIpConfig().isEnabled()).isTrue();
    assertThat(join.getTcpIpConfig().getMembers()).containsExactly("192.168.1.6");
  }

  @Test
  void bus_port_must_be_a_port_or_zero_for_any() {
    assertThatThrownBy(() -> FleetOptions.alone().withBusPort(70000))
        .hasMessage("bus port: 70000 (expected: 0..65535, 0 for any free port)");
    assertThat(FleetOptions.alone().busPort()).isZero();
  }
}

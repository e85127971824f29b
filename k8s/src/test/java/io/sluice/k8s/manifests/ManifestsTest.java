package io.sluice.k8s.manifests;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.rbac.RoleBinding;
import io.fabric8.kubernetes.api.model.rbac.Subject;
import io.sluice.config.ConfigException;
import io.sluice.config.NodeConfig;
import io.sluice.config.NodeConfigReader;
import io.sluice.k8s.NodeRole;
import io.sluice.k8s.manifests.Kustomization.Manifest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The manifests in {@code k8s/}, checked the way the API server and kustomize would take them, and against each other:
 * what one names, another must have.
 */
class ManifestsTest {

  static final Path K8S = NodeRole.k8sDir();
  static final Path OVERLAYS = K8S.resolve("overlays");
  static final String NAMESPACE = "sluice";

  /** The base and every overlay. */
  static Stream<Path> kustomizations() throws IOException {
    try (Stream<Path> overlays = Files.list(OVERLAYS)) {
      return Stream.concat(Stream.of(K8S), overlays.filter(d -> Files.exists(d.resolve(Kustomization.FILE_NAME)))
          .sorted().toList().stream());
    }
  }

  static Stream<Path> overlays() throws IOException {
    return kustomizations().filter(dir -> !dir.equals(K8S));
  }

  static Kustomization base() {
    return Kustomization.read(K8S);
  }

  static <T extends HasMetadata> T only(List<Manifest> objects, Class<T> type, String name) {
    List<T> found = objects.stream().map(Manifest::object).filter(type::isInstance).map(type::cast)
        .filter(o -> o.getMetadata().getName().equals(name)).toList();
    assertThat(found).as("%s %s", type.getSimpleName(), name).hasSize(1);
    return found.get(0);
  }

  static Deployment node(List<Manifest> objects) {
    return only(objects, Deployment.class, "sluice-node");
  }

  static Container container(Deployment deployment) {
    assertThat(deployment.getSpec().getTemplate().getSpec().getContainers()).hasSize(1);
    return deployment.getSpec().getTemplate().getSpec().getContainers().get(0);
  }

  static String arg(Container container, String flag) {
    List<String> values = container.getArgs().stream().filter(a -> a.startsWith(flag + "="))
        .map(a -> a.substring(flag.length() + 1)).toList();
    assertThat(values).as("%s in %s", flag, container.getArgs()).hasSize(1);
    return values.get(0);
  }

  static int containerPort(Container container, String name) {
    return container.getPorts().stream().filter(p -> name.equals(p.getName())).findFirst()
        .map(ContainerPort::getContainerPort)
        .orElseThrow(() -> new AssertionError("no container port named " + name + " in " + container.getPorts()));
  }

  @Test
  void the_base_is_the_kustomization_at_k8s_so_that_kubectl_apply_k_k8s_works() throws IOException {
    Kustomization base = base();

    assertThat(base.apiVersion()).isEqualTo("kustomize.config.k8s.io/v1beta1");
    assertThat(base.kind()).isEqualTo("Kustomization");
    assertThat(base.namespace()).contains(NAMESPACE);
    assertThat(overlays()).extracting(dir -> dir.getFileName().toString()).contains("gpu-cluster");
  }

  @ParameterizedTest
  @MethodSource("kustomizations")
  void every_path_a_kustomization_names_exists(Path dir) {
    for (Path path : Kustomization.read(dir).referencedPaths()) {
      assertThat(path).as("named in %s", dir.resolve(Kustomization.FILE_NAME)).exists();
      if (Files.isDirectory(path)) {
        assertThat(path.resolve(Kustomization.FILE_NAME)).as("a folder resource is a kustomization").exists();
      }
    }
  }

  @Test
  void every_yaml_and_toml_file_of_the_manifests_is_used_by_a_kustomization() throws IOException {
    Set<Path> used = new TreeSet<>();
    kustomizations().forEach(dir -> {
      used.add(dir.resolve(Kustomization.FILE_NAME));
      used.addAll(Kustomization.read(dir).referencedPaths());
    });
    List<Path> files;
    try (Stream<Path> walk = Stream.concat(Files.walk(K8S.resolve("base")), Files.walk(OVERLAYS))) {
      files = walk.filter(Files::isRegularFile)
          .filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".toml")).toList();
    }

    assertThat(files).isNotEmpty().allSatisfy(file -> assertThat(used).as("used by a kustomization").contains(file));
  }

  @ParameterizedTest
  @MethodSource("kustomizations")
  void every_object_and_patch_parses_into_fabric8s_typed_model_with_no_unknown_field(Path dir) {
    Kustomization kustomization = Kustomization.read(dir);
    List<Manifest> all = new ArrayList<>(kustomization.objects());
    all.addAll(kustomization.patchObjects());

    assertThat(all).isNotEmpty().allSatisfy(manifest ->
        assertThat(UnknownFields.in(manifest.object())).as("fields fabric8's model does not know in %s", manifest)
            .isEmpty());
  }

  @Test
  void a_misspelt_field_is_found_wherever_it_is(@TempDir Path temp) throws IOException {
    Path file = temp.resolve("deployment.yaml");
    Files.writeString(file, Files.readString(K8S.resolve("base/deployment.yaml"))
        .replace("  replicas: 2", "  replica: 2")
        .replace("imagePullPolicy:", "imagePullPolicey:"));

    Manifest misspelt = Kustomization.manifests(file).get(0);

    assertThat(UnknownFields.in(misspelt.object()))
        .containsExactlyInAnyOrder("spec.replica", "spec.template.spec.containers[0].imagePullPolicey");
  }

  @Test
  void an_unknown_kind_or_kustomization_field_is_refused(@TempDir Path temp) throws IOException {
    Files.writeString(temp.resolve("job.yaml"), "apiVersion: batch/v1\nkind: CronJob\nmetadata:\n  name: x\n");
    Files.writeString(temp.resolve(Kustomization.FILE_NAME),
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresource:\n  - job.yaml\n");

    assertThatThrownBy(() -> Kustomization.manifests(temp.resolve("job.yaml")))
        .hasMessageContaining("apiVersion/kind batch/v1/CronJob");
    assertThatThrownBy(() -> Kustomization.read(temp)).hasStackTraceContaining("\"resource\"");
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void every_patch_of_an_overlay_patches_an_object_of_its_base(Path overlay) {
    Kustomization kustomization = Kustomization.read(overlay);
    List<Manifest> objects = kustomization.objects();

    assertThat(kustomization.patchObjects()).isNotEmpty().allSatisfy(patch ->
        assertThat(objects).as("what %s patches", patch)
            .anySatisfy(object -> {
              assertThat(object.kind()).isEqualTo(patch.kind());
              assertThat(object.name()).isEqualTo(patch.name());
            }));
  }

  @Test
  void every_namespaced_object_is_in_the_fleets_namespace_which_the_base_makes() {
    List<Manifest> objects = base().objects();

    assertThat(only(objects, Namespace.class, NAMESPACE)).isNotNull();
    assertThat(objects).filteredOn(m -> !(m.object() instanceof Namespace) && !(m.object() instanceof ConfigMap))
        .isNotEmpty()
        .allSatisfy(m -> assertThat(m.object().getMetadata().getNamespace()).as("%s", m).isEqualTo(NAMESPACE));
  }

  @ParameterizedTest
  @MethodSource("kustomizations")
  void services_and_the_disruption_budget_select_exactly_the_nodes_pods(Path dir) {
    List<Manifest> objects = Kustomization.read(dir).objects();
    Deployment node = node(objects);
    Map<String, String> podLabels = node.getSpec().getTemplate().getMetadata().getLabels();

    assertThat(podLabels).containsAllEntriesOf(node.getSpec().getSelector().getMatchLabels());
    List<Service> services = objects.stream().map(Manifest::object).filter(Service.class::isInstance)
        .map(Service.class::cast).toList();
    assertThat(services).extracting(s -> s.getMetadata().getName())
        .containsExactlyInAnyOrder("sluice", "sluice-admin", "sluice-fleet");
    assertThat(services).allSatisfy(service ->
        assertThat(podLabels).as("pods of Service %s", service.getMetadata().getName())
            .containsAllEntriesOf(service.getSpec().getSelector()));
    PodDisruptionBudget budget = only(objects, PodDisruptionBudget.class, "sluice-node");
    assertThat(budget.getSpec().getSelector().getMatchLabels())
        .isEqualTo(node.getSpec().getSelector().getMatchLabels());
  }

  @ParameterizedTest
  @MethodSource("kustomizations")
  void service_target_ports_and_probe_ports_are_named_ports_of_the_node(Path dir) {
    List<Manifest> objects = Kustomization.read(dir).objects();
    Container node = container(node(objects));
    Set<String> named = node.getPorts().stream().map(ContainerPort::getName).collect(Collectors.toSet());

    List<ServicePort> servicePorts = objects.stream().map(Manifest::object).filter(Service.class::isInstance)
        .flatMap(s -> ((Service) s).getSpec().getPorts().stream()).toList();
    assertThat(servicePorts).isNotEmpty().allSatisfy(port -> {
      IntOrString target = port.getTargetPort();
      assertThat(target.getStrVal()).as("Service port %s targets a port by name", port.getName()).isNotNull();
      assertThat(named).contains(target.getStrVal());
    });
    List<Probe> probes = Stream.of(node.getStartupProbe(), node.getLivenessProbe(), node.getReadinessProbe()).toList();
    assertThat(probes).allSatisfy(probe -> {
      assertThat(probe).isNotNull();
      assertThat(probe.getHttpGet().getPort().getStrVal()).isEqualTo("admin");
    });
    assertThat(node.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/ready");
    assertThat(node.getLivenessProbe().getHttpGet().getPath()).isEqualTo("/health");
    // Each port the node is told to listen on is the container port of that name.
    assertThat(Integer.parseInt(arg(node, "--port"))).isEqualTo(containerPort(node, "http"));
    assertThat(Integer.parseInt(arg(node, "--admin-port"))).isEqualTo(containerPort(node, "admin"));
    assertThat(Integer.parseInt(arg(node, "--keda-port"))).isEqualTo(containerPort(node, "keda"));
    assertThat(Integer.parseInt(arg(node, "--fleet-port"))).isEqualTo(containerPort(node, "hazelcast"));
    assertThat(Integer.parseInt(arg(node, "--bus-port"))).isEqualTo(containerPort(node, "bus"));
    assertThat(arg(node, "--admin-host")).as("probes and the admin Service reach the admin port").isEqualTo("0.0.0.0");
  }

  @Test
  void the_keda_scaler_is_on_the_cluster_internal_admin_service_and_not_on_the_public_one() {
    List<Manifest> objects = base().objects();

    assertThat(only(objects, Service.class, "sluice-admin").getSpec().getPorts()).extracting(ServicePort::getName)
        .containsExactlyInAnyOrder("admin", "keda");
    assertThat(only(objects, Service.class, "sluice-admin").getSpec().getType()).isEqualTo("ClusterIP");
    assertThat(only(objects, Service.class, "sluice").getSpec().getPorts()).extracting(ServicePort::getName)
        .containsExactly("http");
  }

  @ParameterizedTest
  @MethodSource("kustomizations")
  void nodes_find_each_other_through_the_headless_service_by_dns_even_before_they_are_ready(Path dir) {
    List<Manifest> objects = Kustomization.read(dir).objects();
    Container node = container(node(objects));
    Service fleet = only(objects, Service.class, "sluice-fleet");
    Map<String, EnvVar> env = node.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, e -> e));

    assertThat(fleet.getSpec().getClusterIP()).isEqualTo("None");
    assertThat(fleet.getSpec().getPublishNotReadyAddresses()).isTrue();
    assertThat(fleet.getSpec().getPorts()).extracting(p -> p.getTargetPort().getStrVal())
        .containsExactlyInAnyOrder("hazelcast", "bus");
    assertThat(env.get("SLUICE_FLEET_DNS").getValue()).isEqualTo("sluice-fleet.$(SLUICE_NAMESPACE).svc");
    assertThat(env.get("SLUICE_NAMESPACE").getValueFrom().getFieldRef().getFieldPath())
        .isEqualTo("metadata.namespace");
    assertThat(env.get("SLUICE_POD_IP").getValueFrom().getFieldRef().getFieldPath()).isEqualTo("status.podIP");
    assertThat(arg(node, "--fleet-host")).isEqualTo("$(SLUICE_POD_IP)");
    // $(VAR) is expanded only from variables defined earlier in the list.
    List<String> names = node.getEnv().stream().map(EnvVar::getName).toList();
    assertThat(names.indexOf("SLUICE_NAMESPACE")).isLessThan(names.indexOf("SLUICE_FLEET_DNS"));
  }

  @ParameterizedTest
  @MethodSource("kustomizations")
  void the_node_runs_as_non_root_with_nothing_to_escalate_and_asks_for_what_it_uses(Path dir) {
    Deployment deployment = node(Kustomization.read(dir).objects());
    PodSpec pod = deployment.getSpec().getTemplate().getSpec();
    Container node = container(deployment);

    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getRunAsUser()).isPositive();
    assertThat(node.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(node.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(node.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(node.getResources().getRequests()).containsKeys("cpu", "memory");
    assertThat(node.getResources().getLimits()).containsKey("memory");
    // A read-only root: everything the node writes has a volume.
    assertThat(node.getVolumeMounts()).extracting(VolumeMount::getMountPath)
        .contains(arg(node, "--state"), "/tmp");
    assertThat(deployment.getSpec().getReplicas()).isGreaterThanOrEqualTo(2);
    assertThat(pod.getTerminationGracePeriodSeconds()).isGreaterThan(30L);
  }

  @ParameterizedTest
  @MethodSource("kustomizations")
  void the_service_account_and_role_the_pods_run_with_exist_and_are_bound(Path dir) {
    List<Manifest> objects = Kustomization.read(dir).objects();
    String account = node(objects).getSpec().getTemplate().getSpec().getServiceAccountName();
    RoleBinding binding = only(objects, RoleBinding.class, "sluice-node");

    assertThat(only(objects, io.fabric8.kubernetes.api.model.ServiceAccount.class, account)).isNotNull();
    assertThat(binding.getRoleRef().getKind()).isEqualTo("Role");
    assertThat(only(objects, io.fabric8.kubernetes.api.model.rbac.Role.class, binding.getRoleRef().getName()))
        .isNotNull();
    assertThat(binding.getSubjects()).extracting(Subject::getKind, Subject::getName, Subject::getNamespace)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("ServiceAccount", account, NAMESPACE));
  }

  @ParameterizedTest
  @MethodSource("kustomizations")
  void the_config_flag_names_a_file_of_the_mounted_config_map(Path dir) {
    List<Manifest> objects = Kustomization.read(dir).objects();
    Deployment deployment = node(objects);
    Container node = container(deployment);
    Path config = Path.of(arg(node, "--config"));

    VolumeMount mount = node.getVolumeMounts().stream()
        .filter(m -> config.startsWith(m.getMountPath())).findFirst().orElseThrow();
    Volume volume = deployment.getSpec().getTemplate().getSpec().getVolumes().stream()
        .filter(v -> v.getName().equals(mount.getName())).findFirst().orElseThrow();
    ConfigMap configMap = only(objects, ConfigMap.class, volume.getConfigMap().getName());
    assertThat(configMap.getData()).containsKey(Path.of(mount.getMountPath()).relativize(config).toString());
    assertThat(config.getFileName().toString()).isEqualTo(NodeConfigReader.FILE_NAME);
  }

  @Test
  void the_bases_sluice_toml_is_a_node_config_that_sluice_reads() throws ConfigException {
    NodeConfig config = NodeConfigReader.parseNode(sluiceToml(base().objects()), K8S.resolve("base/sluice.toml"));

    assertThat(config.pools()).isNotEmpty();
  }

  @ParameterizedTest
  @MethodSource("overlays")
  void an_overlays_sluice_toml_is_a_node_config_that_sluice_reads(Path overlay) throws ConfigException {
    String text = sluiceToml(Kustomization.read(overlay).objects());

    NodeConfig config = NodeConfigReader.parseNode(text, overlay.resolve(NodeConfigReader.FILE_NAME));

    assertThat(config.pools()).isNotEmpty();
    config.pools().stream().filter(pool -> !pool.isCpuPool()).forEach(pool ->
        assertThat(config.placement(pool.name()).nodeSelector())
            .as("pool %s of %s selects its GPU nodes", pool.name(), overlay).isNotEmpty());
  }

  private static String sluiceToml(List<Manifest> objects) {
    return only(objects, ConfigMap.class, "sluice-config").getData().get(NodeConfigReader.FILE_NAME);
  }

  @Test
  void the_gpu_overlay_gives_more_and_bigger_nodes_and_gpu_pools() throws IOException {
    Path overlay = OVERLAYS.resolve("gpu-cluster");
    Deployment patch = Kustomization.read(overlay).patchObjects().stream().map(Manifest::object)
        .filter(Deployment.class::isInstance).map(Deployment.class::cast).findFirst().orElseThrow();
    Deployment base = node(base().objects());

    assertThat(patch.getSpec().getReplicas()).isGreaterThan(base.getSpec().getReplicas());
    assertThat(container(patch).getName()).as("merged by container name").isEqualTo(container(base).getName());
    assertThat(container(patch).getResources().getRequests().get("memory").getNumericalAmount())
        .isGreaterThan(container(base).getResources().getRequests().get("memory").getNumericalAmount());
    assertThat(Files.readString(overlay.resolve("sluice.toml")))
        .contains("gpu = \"L4\"", "\"cloud.google.com/gke-accelerator\" = \"nvidia-l4\"", "nvidia.com/gpu");
  }
}

package io.sluice.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.sluice.config.PoolPlacement;
import io.sluice.config.AppSpec;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.sluice.config.AppId;
import io.sluice.config.ContainerSpec;
import io.sluice.config.NodeConfig;
import io.sluice.config.NodeConfigReader;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.provider.Arguments;
import io.sluice.config.GpuType;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class AppObjectsTest {

  private static final String NAMESPACE = "sluice-apps";
  private static final String VLLM_IMAGE = "vllm/vllm-openai:latest";

  private final AppObjects vllm = new AppObjects(SeedApps.vllmOnL4(), VLLM_IMAGE, SeedApps.gkeL4Pool());
  private final AppObjects hello = new AppObjects(SeedApps.cerebriumWithoutEndpoints(), "hello:1", SeedApps.cpuPool());
  private final AppObjects bigModel = new AppObjects(SeedApps.twoH100s(), VLLM_IMAGE, SeedApps.karpenterH100Pool());

  @Test
  void deployment_is_named_project_dash_app_and_selects_its_pods_by_project_and_app() {
    Deployment deployment = vllm.deployment(NAMESPACE, 3);

    assertThat(deployment.getApiVersion()).isEqualTo("apps/v1");
    assertThat(deployment.getKind()).isEqualTo("Deployment");
    assertThat(deployment.getMetadata().getName()).isEqualTo("llm-vllm-model-server");
    assertThat(deployment.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
    assertThat(deployment.getMetadata().getLabels()).containsExactly(
        entry("app.kubernetes.io/managed-by", "sluice"),
        entry("sluice.io/project", "llm"),
        entry("sluice.io/app", "vllm-model-server"));
    assertThat(deployment.getSpec().getReplicas()).isEqualTo(3);
    assertThat(deployment.getSpec().getSelector().getMatchLabels()).containsExactly(
        entry("sluice.io/project", "llm"),
        entry("sluice.io/app", "vllm-model-server"));
    assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels())
        .isEqualTo(deployment.getMetadata().getLabels());
  }

  @Test
  void deployment_may_ask_for_zero_replicas_when_the_app_scales_to_zero() {
    assertThat(vllm.deployment(NAMESPACE, 0).getSpec().getReplicas()).isZero();
  }

  @Test
  void pod_has_one_container_running_the_given_image() {
    PodSpec pod = podSpec(vllm);

    assertThat(pod.getContainers()).hasSize(1);
    assertThat(pod.getContainers().get(0).getName()).isEqualTo("app");
    assertThat(pod.getContainers().get(0).getImage()).isEqualTo(VLLM_IMAGE);
  }

  @Test
  void truss_start_command_runs_through_bin_sh_c_as_written() {
    assertThat(container(vllm).getCommand()).containsExactly("/bin/sh", "-c", SeedApps.VLLM_START_COMMAND);
    assertThat(container(vllm).getArgs()).isEmpty();
  }

  @Test
  void cerebrium_entrypoint_is_the_container_command_without_a_shell() {
    assertThat(container(hello).getCommand())
        .containsExactly("uvicorn", "main:app", "--host", "0.0.0.0", "--port", "5000");
  }

  @Test
  void container_listens_on_the_runtime_port_and_is_told_it_in_PORT() {
    assertThat(container(vllm).getPorts()).singleElement().satisfies(port -> {
      assertThat(port.getContainerPort()).isEqualTo(8000);
      assertThat(port.getProtocol()).isEqualTo("TCP");
    });
    assertThat(env(container(vllm))).containsExactly(entry("PORT", "8000"));
  }

  @Test
  void app_env_is_passed_in_name_order_with_PORT() {
    assertThat(env(container(hello))).containsExactly(
        entry("APP_MODE", "fast"),
        entry("LOG_LEVEL", "debug"),
        entry("PORT", "5000"));
  }

  @Test
  void PORT_from_the_config_gives_way_to_the_runtime_port_that_probes_and_routing_use() {
    AppSpec spec = SeedApps.cerebriumWithoutEndpoints();
    AppSpec withPort = new AppSpec(spec.id(), spec.format(), spec.runtime(), spec.scaling(), spec.hardware(),
        Map.of("PORT", "9999"), spec.secretNames(), spec.authRequired(), spec.requestTimeout(),
        spec.websocket());

    Container container = container(new AppObjects(withPort, "hello:1", SeedApps.cpuPool()));

    assertThat(env(container)).containsExactly(entry("PORT", "5000"));
  }

  @Test
  void gpu_app_requests_and_limits_its_gpu_count_cpu_and_memory_in_Gi() {
    Map<String, String> expected = Map.of("nvidia.com/gpu", "1", "cpu", "4", "memory", "16Gi");

    assertThat(quantities(container(vllm).getResources().getRequests())).isEqualTo(expected);
    assertThat(quantities(container(vllm).getResources().getLimits())).isEqualTo(expected);
  }

  @Test
  void two_h100_app_asks_for_two_gpus() {
    Map<String, String> expected = Map.of("nvidia.com/gpu", "2", "cpu", "24", "memory", "200Gi");

    assertThat(quantities(container(bigModel).getResources().getRequests())).isEqualTo(expected);
    assertThat(quantities(container(bigModel).getResources().getLimits())).isEqualTo(expected);
  }

  @Test
  void cpu_app_asks_for_no_gpu_and_keeps_fractional_cpu_and_memory() {
    Map<String, String> expected = Map.of("cpu", "0.5", "memory", "1.5Gi");

    assertThat(quantities(container(hello).getResources().getRequests())).isEqualTo(expected);
    assertThat(quantities(container(hello).getResources().getLimits())).isEqualTo(expected);
  }

  @Test
  void ready_and_health_endpoints_become_http_probes_on_the_runtime_port() {
    assertHttpGet(container(vllm).getReadinessProbe(), "/health", 8000);
    assertHttpGet(container(vllm).getLivenessProbe(), "/health", 8000);
    assertHttpGet(container(vllm).getStartupProbe(), "/health", 8000);
  }

  @Test
  void app_without_endpoints_is_probed_by_tcp_connect_on_its_port() {
    assertTcpSocket(container(hello).getReadinessProbe(), 5000);
    assertTcpSocket(container(hello).getLivenessProbe(), 5000);
    assertTcpSocket(container(hello).getStartupProbe(), 5000);
  }

  @Test
  void app_with_only_a_health_endpoint_is_probed_for_readiness_by_tcp_connect() {
    assertTcpSocket(container(bigModel).getReadinessProbe(), 8000);
    assertHttpGet(container(bigModel).getLivenessProbe(), "/health", 8000);
  }

  @Test
  void readiness_is_probed_every_second_so_a_ready_replica_is_routed_to_at_once() {
    Probe readiness = container(vllm).getReadinessProbe();

    assertThat(readiness.getPeriodSeconds()).isEqualTo(1);
    assertThat(readiness.getTimeoutSeconds()).isEqualTo(1);
    assertThat(readiness.getFailureThreshold()).isEqualTo(3);
    assertThat(readiness.getSuccessThreshold()).isEqualTo(1);
  }

  @Test
  void liveness_is_probed_every_ten_seconds_and_tolerates_a_slow_answer() {
    Probe liveness = container(vllm).getLivenessProbe();

    assertThat(liveness.getPeriodSeconds()).isEqualTo(10);
    assertThat(liveness.getTimeoutSeconds()).isEqualTo(5);
    assertThat(liveness.getFailureThreshold()).isEqualTo(3);
  }

  @Test
  void startup_probe_gives_a_slow_model_load_thirty_minutes_before_liveness_may_restart_it() {
    Probe startup = container(vllm).getStartupProbe();

    assertThat(startup.getPeriodSeconds()).isEqualTo(1);
    assertThat(startup.getFailureThreshold()).isEqualTo(1800);
    assertThat(Duration.ofSeconds((long) startup.getPeriodSeconds() * startup.getFailureThreshold()))
        .isGreaterThanOrEqualTo(Duration.ofMinutes(30));
    assertThat(startup.getHttpGet()).isEqualTo(container(vllm).getLivenessProbe().getHttpGet());
  }

  @Test
  void secrets_are_mounted_read_only_at_slash_secrets() {
    assertThat(container(vllm).getVolumeMounts()).singleElement().satisfies(mount -> {
      assertThat(mount.getName()).isEqualTo("secrets");
      assertThat(mount.getMountPath()).isEqualTo("/secrets");
      assertThat(mount.getReadOnly()).isTrue();
    });
  }

  @Test
  void secrets_volume_holds_one_owner_readable_file_per_secret_name_from_the_apps_secret() {
    Volume volume = podSpec(bigModel).getVolumes().get(0);

    assertThat(podSpec(bigModel).getVolumes()).hasSize(1);
    assertThat(volume.getName()).isEqualTo("secrets");
    assertThat(volume.getSecret().getSecretName()).isEqualTo("research-llama-70b-secrets");
    assertThat(volume.getSecret().getItems())
        .extracting(KeyToPath::getKey, KeyToPath::getPath, KeyToPath::getMode)
        .containsExactly(
            tuple("hf_access_token", "hf_access_token", 0400),
            tuple("wandb-key", "wandb-key", 0400));
  }

  @Test
  void app_without_secrets_gets_no_secrets_volume_mount_or_secret() {
    assertThat(podSpec(hello).getVolumes()).isEmpty();
    assertThat(container(hello).getVolumeMounts()).isEmpty();
    assertThat(hello.secret(NAMESPACE, Map.of())).isEmpty();
  }

  @Test
  void gke_pool_places_pods_on_its_accelerator_nodes_and_tolerates_their_gpu_taint() {
    PodSpec pod = podSpec(vllm);

    assertThat(pod.getNodeSelector()).containsExactly(entry("cloud.google.com/gke-accelerator", "nvidia-l4"));
    assertThat(pod.getTolerations())
        .extracting(Toleration::getKey, Toleration::getOperator, Toleration::getValue, Toleration::getEffect)
        .containsExactly(tuple("nvidia.com/gpu", "Equal", "present", "NoSchedule"));
  }

  @Test
  void karpenter_pool_places_pods_by_gpu_name_and_tolerates_any_gpu_taint_value() {
    PodSpec pod = podSpec(bigModel);

    assertThat(pod.getNodeSelector()).containsExactly(entry("karpenter.k8s.aws/instance-gpu-name", "h100"));
    assertThat(pod.getTolerations())
        .extracting(Toleration::getKey, Toleration::getOperator, Toleration::getValue, Toleration::getEffect)
        .containsExactly(tuple("nvidia.com/gpu", "Exists", null, "NoSchedule"));
  }

  @Test
  void cpu_pool_places_pods_by_its_labels_without_tolerations() {
    assertThat(podSpec(hello).getNodeSelector()).containsExactly(entry("sluice.io/pool", "cpu"));
    assertThat(podSpec(hello).getTolerations()).isEmpty();
  }

  @Test
  void pool_that_tolerates_every_taint_renders_an_exists_toleration_without_key_or_effect() {
    NodePool anywhere = new NodePool("anywhere", Optional.empty(), 0, Map.of(),
        List.of(PoolPlacement.Toleration.exists("", PoolPlacement.Toleration.Effect.ANY)));

    PodSpec pod = podSpec(new AppObjects(SeedApps.cerebriumWithoutEndpoints(), "hello:1", anywhere));

    assertThat(pod.getNodeSelector()).isEmpty();
    assertThat(pod.getTolerations())
        .extracting(Toleration::getKey, Toleration::getOperator, Toleration::getValue, Toleration::getEffect)
        .containsExactly(tuple(null, "Exists", null, null));
  }

  @Test
  void termination_grace_period_is_the_response_grace_period_rounded_up_to_whole_seconds() {
    assertThat(podSpec(vllm).getTerminationGracePeriodSeconds()).isEqualTo(30);
    assertThat(podSpec(hello).getTerminationGracePeriodSeconds()).isEqualTo(3);
  }

  @Test
  void pod_gets_no_service_account_token() {
    assertThat(podSpec(vllm).getAutomountServiceAccountToken()).isFalse();
  }

  @Test
  void secret_holds_each_value_base64_encoded_under_its_secret_name() {
    Secret secret = bigModel.secret(NAMESPACE, Map.of("hf_access_token", "hf_abc", "wandb-key", "wb-é")).orElseThrow();

    assertThat(secret.getMetadata().getName()).isEqualTo("research-llama-70b-secrets");
    assertThat(secret.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
    assertThat(secret.getMetadata().getLabels()).isEqualTo(AppObjects.labels(SeedApps.twoH100s().id()));
    assertThat(secret.getType()).isEqualTo("Opaque");
    assertThat(secret.getData()).containsOnly(
        entry("hf_access_token", base64("hf_abc")),
        entry("wandb-key", base64("wb-é")));
    assertThat(secret.getStringData()).isEmpty();
  }

  @Test
  void secret_values_missing_a_name_are_refused_naming_it_without_showing_any_value() {
    assertThatThrownBy(() -> bigModel.secret(NAMESPACE, Map.of("hf_access_token", "hf_very_secret")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("secret values: missing [wandb-key] (expected: a value for every secret that app "
            + "research/llama-70b names)")
        .message().doesNotContain("hf_very_secret");
  }

  @Test
  void secret_values_with_a_name_the_app_does_not_use_are_refused_without_showing_any_value() {
    assertThatThrownBy(() -> vllm.secret(NAMESPACE, Map.of("hf_access_token", "hf_x", "aws_key", "AKIA_very_secret")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("secret values: unexpected [aws_key] (expected: only the secrets that app "
            + "llm/vllm-model-server names, [hf_access_token])")
        .message().doesNotContain("very_secret");
  }

  @Test
  void rendering_the_same_app_twice_gives_equal_objects() {
    AppObjects again = new AppObjects(SeedApps.cerebriumWithoutEndpoints(), "hello:1", SeedApps.cpuPool());

    assertThat(again.deployment(NAMESPACE, 2)).isEqualTo(hello.deployment(NAMESPACE, 2));
  }

  @Test
  void deployment_round_trips_through_yaml_into_the_typed_model() throws Exception {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    Deployment deployment = vllm.deployment(NAMESPACE, 1);

    String text = yaml.writeValueAsString(deployment);
    Deployment read = yaml.readValue(text, Deployment.class);

    assertThat(read).isEqualTo(deployment);
    assertThat(text)
        .contains("apiVersion: \"apps/v1\"")
        .contains("kind: \"Deployment\"")
        .contains("nvidia.com/gpu: \"1\"")
        .contains("memory: \"16Gi\"")
        .contains("mountPath: \"/secrets\"")
        .contains("secretName: \"llm-vllm-model-server-secrets\"");
  }

  @Test
  void deployment_without_gpu_secrets_or_endpoints_round_trips_through_yaml_too() throws Exception {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    NodePool unlabeled = NodePool.cpu("cpu", Map.of());
    Deployment deployment =
        new AppObjects(SeedApps.cerebriumWithoutEndpoints(), "hello:1", unlabeled).deployment(NAMESPACE, 0);

    Deployment read = yaml.readValue(yaml.writeValueAsString(deployment), Deployment.class);

    assertThat(read).isEqualTo(deployment);
  }

  @Test
  void secret_round_trips_through_yaml_into_the_typed_model() throws Exception {
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    Secret secret = vllm.secret(NAMESPACE, Map.of("hf_access_token", "hf_abc")).orElseThrow();

    Secret read = yaml.readValue(yaml.writeValueAsString(secret), Secret.class);

    assertThat(read).isEqualTo(secret);
  }

  record Misfit(String name, AppSpec app, NodePool pool, String message) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Misfit> misfits() {
    return Stream.of(
        new Misfit("an L4 app on an H100 pool", SeedApps.vllmOnL4(), SeedApps.karpenterH100Pool(),
            "pool h100: gpu H100 (expected: L4, the GPU that app llm/vllm-model-server asks for)"),
        new Misfit("a GPU app on a CPU pool", SeedApps.vllmOnL4(), SeedApps.cpuPool(),
            "pool cpu: gpu none (expected: L4, the GPU that app llm/vllm-model-server asks for)"),
        new Misfit("a CPU app on a GPU pool", SeedApps.cerebriumWithoutEndpoints(), SeedApps.gkeL4Pool(),
            "pool l4: gpu L4 (expected: none, the GPU that app demo/hello asks for)"),
        new Misfit("two H100s on one-GPU nodes", SeedApps.twoH100s(),
            NodePool.gke("h100-single", GpuType.H100, "nvidia-h100-80gb", 1),
            "gpuCount: 2 (expected: <= 1, the GPUs per node of pool h100-single)"));
  }

  @ParameterizedTest
  @MethodSource("misfits")
  void app_that_does_not_fit_its_pool_is_refused(Misfit misfit) {
    assertThatThrownBy(() -> new AppObjects(misfit.app(), VLLM_IMAGE, misfit.pool()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(misfit.message());
  }

  @Test
  void secret_name_that_is_not_a_plain_file_name_is_refused() {
    AppSpec spec = SeedApps.vllmOnL4();
    AppSpec withPath = new AppSpec(spec.id(), spec.format(), spec.runtime(), spec.scaling(), spec.hardware(),
        spec.env(), List.of("../etc/passwd"), spec.authRequired(), spec.requestTimeout(),
        spec.websocket());

    assertThatThrownBy(() -> new AppObjects(withPath, VLLM_IMAGE, SeedApps.gkeL4Pool()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("secretNames: ../etc/passwd (expected: letters, digits, '-', '_' or '.', and not '.' or '..')");
  }

  @Test
  void blank_image_negative_replicas_and_bad_namespace_are_refused() {
    assertThatThrownBy(() -> new AppObjects(SeedApps.vllmOnL4(), " ", SeedApps.gkeL4Pool()))
        .hasMessage("image: empty (expected: a container image reference)");
    assertThatThrownBy(() -> vllm.deployment(NAMESPACE, -1))
        .hasMessage("replicas: -1 (expected: >= 0)");
    assertThatThrownBy(() -> vllm.deployment("Bad_Namespace", 1))
        .hasMessageStartingWith("namespace: Bad_Namespace (expected: ");
  }

  // ---------------------------------------------------------------------------------------------------------------
  // On a cluster: the image each format runs in, a Cerebrium app's files fetched as its pods start, and placement

  private static final ArchiveFetch FLEET = ArchiveFetch.from("http://sluice-admin.sluice.svc:9090");
  private static final long VERSION = 7;

  @Test
  void truss_app_runs_in_its_base_image_and_fetches_nothing() {
    AppSpec app = SeedApps.vllmOnL4().withContainer(
        new ContainerSpec(Optional.of("vllm/vllm-openai:v0.6.3"), List.of(), Optional.empty()));

    AppObjects objects = AppObjects.forCluster(app, SeedApps.gkeL4Pool(), FLEET);
    PodSpec pod = versionedPod(objects);

    assertThat(objects.image()).isEqualTo("vllm/vllm-openai:v0.6.3");
    assertThat(objects.fetch()).isEmpty();
    assertThat(pod.getContainers().get(0).getImage()).isEqualTo("vllm/vllm-openai:v0.6.3");
    assertThat(pod.getContainers().get(0).getCommand())
        .containsExactly("/bin/sh", "-c", SeedApps.VLLM_START_COMMAND);
    assertThat(pod.getInitContainers()).isEmpty();
    assertThat(pod.getVolumes()).extracting(Volume::getName).containsExactly("secrets");
  }

  @Test
  void truss_app_without_base_image_cannot_run_on_a_cluster() {
    assertThatThrownBy(() -> AppObjects.forCluster(SeedApps.vllmOnL4(), SeedApps.gkeL4Pool(), FLEET))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("base_image.image: missing in the config.yaml of app llm/vllm-model-server")
        .hasMessageContaining("base_image: {image: vllm/vllm-openai:latest}");
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("cerebriumImages")
  void cerebrium_app_runs_its_base_image_or_cerebriums_default_debian_with_its_python(ContainerSpec container,
      String image) {
    AppObjects objects = AppObjects.forCluster(cerebrium(container), SeedApps.cpuPool(), FLEET);
    PodSpec pod = versionedPod(objects);

    assertThat(pod.getContainers()).extracting(Container::getImage).containsExactly(image);
    assertThat(pod.getInitContainers()).extracting(Container::getImage).containsExactly(image);
  }

  static Stream<Arguments> cerebriumImages() {
    return Stream.of(
        Arguments.of(ContainerSpec.NONE, "python:3.12-slim-bookworm"),
        Arguments.of(new ContainerSpec(Optional.empty(), List.of(), Optional.of("3.11")), "python:3.11-slim-bookworm"),
        Arguments.of(new ContainerSpec(Optional.of("nvcr.io/nvidia/pytorch:24.05-py3"), List.of(),
            Optional.of("3.11")), "nvcr.io/nvidia/pytorch:24.05-py3"));
  }

  @Test
  void cerebrium_pod_fetches_its_versions_files_into_a_shared_volume_and_installs_its_pip_packages() {
    AppSpec app = cerebrium(new ContainerSpec(Optional.empty(), List.of("fastapi", "uvicorn>=0.30", "numpy==1.26.4"),
        Optional.empty()));

    PodSpec pod = versionedPod(AppObjects.forCluster(app, SeedApps.cpuPool(), FLEET));

    assertThat(pod.getVolumes()).singleElement().satisfies(volume -> {
      assertThat(volume.getName()).isEqualTo("app-files");
      assertThat(volume.getEmptyDir()).isNotNull();
    });
    Container fetch = pod.getInitContainers().get(0);
    assertThat(fetch.getName()).isEqualTo(AppObjects.FETCH_CONTAINER_NAME);
    assertThat(fetch.getCommand()).containsExactly("python3", "-c", AppObjects.FETCH_SCRIPT,
        "http://sluice-admin.sluice.svc:9090/v1/apps/demo/hello/archive?version=7", "/app", "/app/.sluice/packages",
        "fastapi", "uvicorn>=0.30", "numpy==1.26.4");
    assertThat(fetch.getVolumeMounts()).singleElement().satisfies(mount -> {
      assertThat(mount.getName()).isEqualTo("app-files");
      assertThat(mount.getMountPath()).isEqualTo("/app");
    });
    assertThat(fetch.getEnv()).singleElement().satisfies(token -> {
      assertThat(token.getName()).isEqualTo(AppObjects.FETCH_TOKEN_ENV);
      assertThat(token.getValue()).as("never a plain value in the pod spec").isNull();
      assertThat(token.getValueFrom().getSecretKeyRef().getName()).isEqualTo("demo-hello-secrets");
      assertThat(token.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("sluice-fetch-token");
    });
    assertThat(quantities(fetch.getResources().getLimits())).isEqualTo(Map.of("cpu", "0.5", "memory", "1.5Gi"));

    Container server = pod.getContainers().get(0);
    assertThat(server.getWorkingDir()).isEqualTo("/app");
    assertThat(server.getVolumeMounts()).extracting(VolumeMount::getName, VolumeMount::getMountPath)
        .containsExactly(tuple("app-files", "/app"));
    assertThat(server.getCommand()).containsExactly("/bin/sh", "-c", AppObjects.WITH_PACKAGES_ON_PATH, "sh",
        "uvicorn", "main:app", "--host", "0.0.0.0", "--port", "5000");
    assertThat(env(server)).containsEntry("PYTHONPATH", "/app:/app/.sluice/packages")
        .doesNotContainKey(AppObjects.FETCH_TOKEN_ENV);
  }

  @Test
  void cerebrium_app_without_pip_packages_still_fetches_its_files() {
    Container fetch = versionedPod(AppObjects.forCluster(cerebrium(ContainerSpec.NONE), SeedApps.cpuPool(), FLEET))
        .getInitContainers().get(0);

    assertThat(fetch.getCommand()).endsWith("/app", "/app/.sluice/packages");
  }

  @Test
  void the_apps_secret_holds_the_fetch_token_which_is_not_mounted_as_a_file() {
    AppSpec app = withSecrets(cerebrium(ContainerSpec.NONE), List.of("hf_token"));
    AppObjects objects = AppObjects.forCluster(app, SeedApps.cpuPool(), FLEET);

    Secret secret = objects.secret(NAMESPACE, Map.of("hf_token", "hf-123"), Optional.of("replica-token")).orElseThrow();

    assertThat(secret.getData()).containsExactly(
        entry("hf_token", base64("hf-123")), entry("sluice-fetch-token", base64("replica-token")));
    assertThat(versionedPod(objects).getVolumes()).filteredOn(v -> v.getSecret() != null).singleElement()
        .satisfies(v -> assertThat(v.getSecret().getItems()).extracting(KeyToPath::getKey).containsExactly("hf_token"));
  }

  @Test
  void an_app_without_secrets_that_fetches_its_files_still_gets_a_secret_for_the_token() {
    AppObjects objects = AppObjects.forCluster(cerebrium(ContainerSpec.NONE), SeedApps.cpuPool(), FLEET);

    Secret secret = objects.secret(NAMESPACE, Map.of(), Optional.of("replica-token")).orElseThrow();

    assertThat(secret.getMetadata().getName()).isEqualTo("demo-hello-secrets");
    assertThat(secret.getData()).containsExactly(entry("sluice-fetch-token", base64("replica-token")));
  }

  @Test
  void a_fetching_app_needs_its_token_and_a_version() {
    AppObjects objects = AppObjects.forCluster(cerebrium(ContainerSpec.NONE), SeedApps.cpuPool(), FLEET);

    assertThatThrownBy(() -> objects.secret(NAMESPACE, Map.of()))
        .hasMessage("fetchToken: missing (expected: the replica token of app demo/hello, with which its pods fetch the"
            + " app's files and call the fleet)");
    assertThatThrownBy(() -> objects.deployment(NAMESPACE, 1))
        .hasMessage("version: none (expected: the deployed version whose files the pods of app demo/hello fetch)");
    assertThatThrownBy(() -> AppObjects.forCluster(withSecrets(cerebrium(ContainerSpec.NONE),
        List.of("sluice-fetch-token")), SeedApps.cpuPool(), FLEET))
        .hasMessageStartingWith("secretNames: sluice-fetch-token (expected: a name other than");
  }

  @Test
  void the_fetch_script_unzips_the_archive_it_is_given_with_the_token_and_fails_loudly_without(@TempDir Path dir)
      throws Exception {
    byte[] zip = zipOf(Map.of("cerebrium.toml", "[cerebrium.deployment]\n", "pkg/main.py", "print('hi')\n"));
    HttpServer fleet = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    fleet.createContext("/", exchange -> {
      boolean admitted = "Bearer right".equals(exchange.getRequestHeaders().getFirst("Authorization"))
          && exchange.getRequestURI().toString().equals("/v1/apps/demo/hello/archive?version=7");
      byte[] body = admitted ? zip : "{}".getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(admitted ? 200 : 401, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    fleet.start();
    try {
      String url = ArchiveFetch.from("http://127.0.0.1:" + fleet.getAddress().getPort())
          .archiveUrl(new AppId("demo", "hello"), VERSION);

      Process fetched = runFetch(url, dir.resolve("app"), "right");
      assertThat(fetched.waitFor()).as(new String(fetched.getInputStream().readAllBytes())).isZero();
      assertThat(dir.resolve("app/cerebrium.toml")).hasContent("[cerebrium.deployment]");
      assertThat(dir.resolve("app/pkg/main.py")).hasContent("print('hi')");

      Process refused = runFetch(url, dir.resolve("other"), "wrong");
      assertThat(refused.waitFor()).isNotZero();
      assertThat(new String(refused.getInputStream().readAllBytes())).contains("could not fetch the app from " + url,
          "401");
    } finally {
      fleet.stop(0);
    }
  }

  @Test
  void the_path_wrapper_finds_a_packages_script_before_the_images_own(@TempDir Path dir) throws Exception {
    Path bin = Files.createDirectories(dir.resolve("packages/bin"));
    Path tool = Files.writeString(bin.resolve("sluice-test-tool"), "#!/bin/sh\necho \"tool $1\"\n");
    tool.toFile().setExecutable(true);
    String wrapper = AppObjects.WITH_PACKAGES_ON_PATH.replace(AppObjects.PACKAGES_DIR, dir.resolve("packages").toString());

    Process run = new ProcessBuilder("/bin/sh", "-c", wrapper, "sh", "sluice-test-tool", "ran").redirectErrorStream(true)
        .start();

    assertThat(run.waitFor()).isZero();
    assertThat(new String(run.getInputStream().readAllBytes())).isEqualTo("tool ran\n");
  }

  @Test
  void a_gke_pools_configured_selector_and_tolerations_place_the_pods() throws Exception {
    NodeConfig config = NodeConfigReader.parseNode("""
        [[pools]]
        name = "l4"
        gpu = "L4"
        max_nodes = 4
        node_selector = { "cloud.google.com/gke-accelerator" = "nvidia-l4" }
        tolerations = [ { key = "nvidia.com/gpu", operator = "Equal", value = "present", effect = "NoSchedule" } ]
        """, Path.of("sluice.toml"));
    NodePool pool = AppObjects.nodePool(config.pools().get(0), config.placement("l4"));

    PodSpec pod = podSpec(new AppObjects(SeedApps.vllmOnL4(), VLLM_IMAGE, pool));

    assertThat(pool).isEqualTo(SeedApps.gkeL4Pool());
    assertThat(pod.getNodeSelector()).containsExactly(entry("cloud.google.com/gke-accelerator", "nvidia-l4"));
    assertThat(pod.getTolerations()).extracting(Toleration::getKey, Toleration::getOperator, Toleration::getValue,
        Toleration::getEffect).containsExactly(tuple("nvidia.com/gpu", "Equal", "present", "NoSchedule"));
  }

  @Test
  void an_eks_karpenter_pools_configured_selector_and_tolerations_place_the_pods() throws Exception {
    NodeConfig config = NodeConfigReader.parseNode("""
        [[pools]]
        name = "h100"
        gpu = "H100"
        gpus_per_node = 8
        max_nodes = 2
        node_selector = { "karpenter.sh/nodepool" = "gpu", "karpenter.k8s.aws/instance-gpu-name" = "h100" }
        tolerations = [
          { key = "nvidia.com/gpu", operator = "Exists", effect = "NoSchedule" },
          { key = "karpenter.sh/disrupted", operator = "Exists" },
        ]
        """, Path.of("sluice.toml"));
    NodePool pool = AppObjects.nodePool(config.pools().get(0), config.placement("h100"));

    PodSpec pod = podSpec(new AppObjects(SeedApps.twoH100s(), VLLM_IMAGE, pool));

    assertThat(pod.getNodeSelector()).containsExactly(entry("karpenter.k8s.aws/instance-gpu-name", "h100"),
        entry("karpenter.sh/nodepool", "gpu"));
    assertThat(pod.getTolerations()).extracting(Toleration::getKey, Toleration::getOperator, Toleration::getValue,
        Toleration::getEffect).containsExactly(
            tuple("nvidia.com/gpu", "Exists", null, "NoSchedule"),
            tuple("karpenter.sh/disrupted", "Exists", null, null));
  }

  @Test
  void a_pool_without_placement_keys_puts_no_selector_or_toleration_on_its_pods() throws Exception {
    NodePool pool = AppObjects.nodePool(NodeConfig.defaults().pools().get(0), NodeConfig.defaults().placement("local"));

    PodSpec pod = podSpec(new AppObjects(SeedApps.cerebriumWithoutEndpoints(), "hello:1", pool));

    assertThat(pod.getNodeSelector()).isEmpty();
    assertThat(pod.getTolerations()).isEmpty();
  }

  private static AppSpec cerebrium(ContainerSpec container) {
    return SeedApps.cerebriumWithoutEndpoints().withContainer(container);
  }

  private static AppSpec withSecrets(AppSpec spec, List<String> secretNames) {
    return new AppSpec(spec.id(), spec.format(), spec.runtime(), spec.scaling(), spec.hardware(), spec.env(),
        secretNames, spec.authRequired(), spec.requestTimeout(), spec.websocket(), spec.capture(), spec.container());
  }

  private static PodSpec versionedPod(AppObjects objects) {
    return objects.deployment(NAMESPACE, 1, VERSION).getSpec().getTemplate().getSpec();
  }

  private static Process runFetch(String url, Path appDir, String token) throws Exception {
    ProcessBuilder fetch = new ProcessBuilder("python3", "-c", AppObjects.FETCH_SCRIPT, url, appDir.toString(),
        appDir.resolve(".sluice/packages").toString()).redirectErrorStream(true);
    fetch.environment().put(AppObjects.FETCH_TOKEN_ENV, token);
    return fetch.start();
  }

  private static byte[] zipOf(Map<String, String> files) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      for (Map.Entry<String, String> file : new TreeMap<>(files).entrySet()) {
        zip.putNextEntry(new ZipEntry(file.getKey()));
        zip.write(file.getValue().getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();
      }
    }
    return bytes.toByteArray();
  }

  private static PodSpec podSpec(AppObjects objects) {
    return objects.deployment(NAMESPACE, 1).getSpec().getTemplate().getSpec();
  }

  private static Container container(AppObjects objects) {
    return podSpec(objects).getContainers().get(0);
  }

  @Test
  void with_the_fleets_url_pods_get_sluice_url_and_their_replica_token_from_the_apps_secret_as_local_replicas_do() {
    AppObjects objects = new AppObjects(SeedApps.vllmOnL4(), "vllm/vllm-openai:v0.6.3", SeedApps.gkeL4Pool())
        .withFleetUrl("http://sluice.sluice.svc");

    Container server = objects.deployment(NAMESPACE, 1, 3).getSpec().getTemplate().getSpec().getContainers().get(0);

    assertThat(env(server)).containsEntry("SLUICE_URL", "http://sluice.sluice.svc")
        .containsEntry("SLUICE_PROJECT", "llm").containsEntry("SLUICE_APP", "vllm-model-server");
    assertThat(server.getEnv()).filteredOn(e -> e.getName().equals("SLUICE_TOKEN")).singleElement().satisfies(e -> {
      assertThat(e.getValue()).as("never a plain value in the pod spec").isNull();
      assertThat(e.getValueFrom().getSecretKeyRef().getName()).isEqualTo("llm-vllm-model-server-secrets");
      assertThat(e.getValueFrom().getSecretKeyRef().getKey()).isEqualTo(objects.tokenKey());
    });
    Secret secret = objects.secret(NAMESPACE, Map.of("hf_access_token", "hf_abc"), Optional.of("replica-token"))
        .orElseThrow();
    assertThat(secret.getData()).containsEntry(objects.tokenKey(), base64("replica-token"));
    assertThatThrownBy(() -> objects.secret(NAMESPACE, Map.of("hf_access_token", "hf_abc")))
        .hasMessageStartingWith("fetchToken: missing");
  }

  private static Map<String, String> env(Container container) {
    Map<String, String> env = new LinkedHashMap<>();
    for (EnvVar var : container.getEnv()) {
      env.put(var.getName(), var.getValue());
    }
    return env;
  }

  private static Map<String, String> quantities(Map<String, Quantity> amounts) {
    Map<String, String> text = new TreeMap<>();
    amounts.forEach((name, amount) -> text.put(name, amount.toString()));
    return text;
  }

  private static void assertHttpGet(Probe probe, String path, int port) {
    assertThat(probe.getHttpGet()).isNotNull();
    assertThat(probe.getHttpGet().getPath()).isEqualTo(path);
    assertThat(probe.getHttpGet().getPort()).isEqualTo(new IntOrString(port));
    assertThat(probe.getHttpGet().getScheme()).isEqualTo("HTTP");
    assertThat(probe.getTcpSocket()).isNull();
  }

  private static void assertTcpSocket(Probe probe, int port) {
    assertThat(probe.getTcpSocket()).isNotNull();
    assertThat(probe.getTcpSocket().getPort()).isEqualTo(new IntOrString(port));
    assertThat(probe.getHttpGet()).isNull();
  }

  private static String base64(String value) {
    return Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
  }
}

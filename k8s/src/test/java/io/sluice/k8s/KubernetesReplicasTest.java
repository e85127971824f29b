package io.sluice.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.sluice.autoscaler.replica.Endpoint;
import io.sluice.autoscaler.replica.ReplicaId;
import io.sluice.autoscaler.replica.ReplicaState;
import io.sluice.autoscaler.replica.ReplicaStatus;
import io.sluice.config.AppSpec;
import io.sluice.config.GpuType;
import io.sluice.k8s.NodeRole.Permission;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes provider against fabric8's mock API server in CRUD mode. The mock server runs no controllers, so
 * {@link FakeReplicaSet} plays the ReplicaSet, the scheduler and the kubelet, by hand.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesReplicasTest {

  static final String NAMESPACE = "sluice";
  static final String IMAGE = "vllm/vllm-openai:v0.6.3";
  static final NodePool L4 = NodePool.gke("l4", GpuType.L4, "nvidia-l4", 1);
  static final String NODE_AGENT = "sluice-node-under-test";

  KubernetesMockServer server;
  KubernetesClient client;
  KubernetesClient nodeClient;

  final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-24T00:00:00Z"));
  final InstantSource clock = () -> now.get();
  final Map<ReplicaId, ReplicaStatus> latest = new ConcurrentHashMap<>();
  final List<ReplicaStatus> history = new CopyOnWriteArrayList<>();
  final AppSpec app = SeedApps.vllmOnL4();
  FakeReplicaSet cluster;
  KubernetesReplicas provider;

  @BeforeEach
  void start() throws Exception {
    cluster = new FakeReplicaSet(client, NAMESPACE);
    provider = newProvider();
  }

  @AfterEach
  void stop() throws Exception {
    provider.stopAll(Duration.ZERO).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  KubernetesReplicas newProvider() throws Exception {
    // The provider's own client, told apart from the fake controller's calls by its user agent.
    nodeClient = new KubernetesClientBuilder()
        .withConfig(new ConfigBuilder(client.getConfiguration()).withUserAgent(NODE_AGENT).build()).build();
    KubernetesReplicas made = new KubernetesReplicas(nodeClient, NAMESPACE, spec -> new AppObjects(spec, IMAGE, L4),
        spec -> Map.of("hf_access_token", "hf_secret_value"), id -> "fetch-token-of-" + id.name(), status -> {
          latest.put(status.id(), status);
          history.add(status);
        }, clock, Duration.ofSeconds(30), Duration.ofMillis(50));
    return made.start().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  ReplicaId replica(String name) {
    return new ReplicaId(app.id(), name);
  }

  String deployment() {
    return AppObjects.deploymentName(app.id(), 1);
  }

  int scale() {
    Deployment d = client.apps().deployments().inNamespace(NAMESPACE).withName(deployment()).get();
    return d == null ? -1 : d.getSpec().getReplicas();
  }

  ReplicaState stateOf(ReplicaId id) {
    return Optional.ofNullable(latest.get(id)).map(ReplicaStatus::state).orElse(null);
  }

  /** Starts replicas, lets the fake controller make their pods and sets each ready at its own IP. */
  List<Pod> runReady(String... names) {
    int expected = scale() < 0 ? names.length : cluster.pods(deployment()).size() + names.length;
    for (String name : names) {
      provider.start(replica(name), app, 1);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> scale() == expected);
    List<Pod> pods = cluster.sync(deployment());
    int ip = 10;
    for (Pod pod : pods) {
      cluster.ready(pod, "10.0.0." + ip++, true);
    }
    for (String name : names) {
      await().atMost(Duration.ofSeconds(10)).until(() -> stateOf(replica(name)) == ReplicaState.READY);
    }
    return cluster.pods(deployment());
  }

  @Test
  void a_replica_creates_the_apps_deployment_with_its_image_command_gpu_placement_probes_and_secret() {
    provider.start(replica("a-1"), app, 1);

    await().atMost(Duration.ofSeconds(10)).until(() -> scale() == 1);
    Deployment d = client.apps().deployments().inNamespace(NAMESPACE).withName(deployment()).get();
    assertThat(d.getMetadata().getLabels()).containsEntry(AppObjects.PROJECT_LABEL, "llm")
        .containsEntry(AppObjects.APP_LABEL, "vllm-model-server").containsEntry(AppObjects.VERSION_LABEL, "1")
        .containsEntry(AppObjects.MANAGED_BY_LABEL, "sluice");
    PodSpec pod = d.getSpec().getTemplate().getSpec();
    Container container = pod.getContainers().get(0);
    assertThat(container.getImage()).isEqualTo(IMAGE);
    assertThat(container.getCommand()).containsExactly("/bin/sh", "-c", SeedApps.VLLM_START_COMMAND);
    assertThat(container.getResources().getRequests()).containsEntry(AppObjects.GPU_RESOURCE, new Quantity("1"));
    assertThat(pod.getNodeSelector()).containsEntry(NodePool.GKE_ACCELERATOR_LABEL, "nvidia-l4");
    assertThat(pod.getTolerations()).anySatisfy(t -> assertThat(t.getKey()).isEqualTo("nvidia.com/gpu"));
    assertThat(container.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/health");
    assertThat(container.getVolumeMounts()).anySatisfy(m -> assertThat(m.getMountPath()).isEqualTo("/secrets"));
    var secret = client.secrets().inNamespace(NAMESPACE).withName(AppObjects.secretName(app.id())).get();
    assertThat(secret.getData()).containsKey("hf_access_token");
    assertThat(stateOf(replica("a-1"))).isEqualTo(ReplicaState.STARTING);
  }

  @Test
  void a_ready_pod_makes_its_replica_routable_at_the_pod_ip_and_an_unready_one_stops_it() {
    List<Pod> pods = runReady("a-1");

    assertThat(latest.get(replica("a-1")).endpoint()).contains(new Endpoint("10.0.0.10", 8000));
    cluster.ready(pods.get(0), "10.0.0.10", false);
    await().atMost(Duration.ofSeconds(10)).until(() -> stateOf(replica("a-1")) == ReplicaState.NOT_READY);
    assertThat(ReplicaState.NOT_READY.routable()).isFalse();
    cluster.ready(pods.get(0), "10.0.0.10", true);
    await().atMost(Duration.ofSeconds(10)).until(() -> stateOf(replica("a-1")) == ReplicaState.READY);
  }

  @Test
  void a_pod_that_cannot_be_scheduled_shows_the_schedulers_reason() {
    provider.start(replica("a-1"), app, 1);
    await().atMost(Duration.ofSeconds(10)).until(() -> scale() == 1);
    Pod pod = cluster.sync(deployment()).get(0);

    cluster.unschedulable(pod, "0/3 nodes are available: 3 Insufficient nvidia.com/gpu.");

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(latest.get(replica("a-1")).detail())
        .startsWith("pending:").contains("Insufficient nvidia.com/gpu"));
    assertThat(stateOf(replica("a-1"))).isEqualTo(ReplicaState.STARTING);
  }

  @Test
  void scaling_down_removes_the_stopped_replicas_own_pod_and_keeps_the_others() throws Exception {
    runReady("a-1", "a-2", "a-3");
    Endpoint kept1 = latest.get(replica("a-1")).endpoint().orElseThrow();
    Endpoint kept3 = latest.get(replica("a-3")).endpoint().orElseThrow();

    var stopped = provider.stop(replica("a-2"), Duration.ofSeconds(5)).toCompletableFuture();
    await().atMost(Duration.ofSeconds(10)).until(() -> scale() == 2);
    assertThat(stopped).isNotDone();
    cluster.sync(deployment());

    stopped.get(10, TimeUnit.SECONDS);
    assertThat(stateOf(replica("a-2"))).isEqualTo(ReplicaState.STOPPED);
    assertThat(latest.get(replica("a-1")).endpoint()).contains(kept1);
    assertThat(latest.get(replica("a-3")).endpoint()).contains(kept3);
    assertThat(stateOf(replica("a-1"))).isEqualTo(ReplicaState.READY);
    assertThat(stateOf(replica("a-3"))).isEqualTo(ReplicaState.READY);
    assertThat(cluster.pods(deployment())).hasSize(2);
  }

  @Test
  void a_restarted_node_adopts_the_running_pods_without_starting_more_and_scales_away_what_nobody_claims()
      throws Exception {
    runReady("a-1", "a-2");
    List<String> podsBefore = cluster.pods(deployment()).stream().map(p -> p.getMetadata().getName()).toList();
    provider.stopAll(Duration.ZERO).toCompletableFuture().get(10, TimeUnit.SECONDS);
    assertThat(cluster.pods(deployment())).as("a node that stops leaves the app running").hasSize(2);

    provider = newProvider();
    provider.start(replica("b-1"), app, 1);

    await().atMost(Duration.ofSeconds(10)).until(() -> stateOf(replica("b-1")) == ReplicaState.READY);
    assertThat(scale()).as("the unclaimed pod is kept for the adoption window").isEqualTo(2);
    assertThat(cluster.sync(deployment())).extracting(p -> p.getMetadata().getName())
        .containsExactlyInAnyOrderElementsOf(podsBefore);

    now.set(now.get().plusSeconds(31));
    await().atMost(Duration.ofSeconds(10)).until(() -> scale() == 1);
    String claimed = cluster.pods(deployment()).stream()
        .filter(p -> "b-1".equals(p.getMetadata().getAnnotations().get(AppObjects.REPLICA_ANNOTATION)))
        .findFirst().orElseThrow().getMetadata().getName();
    assertThat(cluster.sync(deployment())).extracting(p -> p.getMetadata().getName()).containsExactly(claimed);
    assertThat(stateOf(replica("b-1"))).isEqualTo(ReplicaState.READY);
  }

  @Test
  void a_redeploy_runs_the_new_version_beside_the_old_and_deletes_the_old_deployment_once_its_replicas_are_gone()
      throws Exception {
    runReady("a-1");
    String v2 = AppObjects.deploymentName(app.id(), 2);
    provider.start(replica("b-1"), app, 2);
    await().atMost(Duration.ofSeconds(10)).until(() -> scaleOf(v2) == 1);
    Pod next = cluster.sync(v2).get(0);
    cluster.ready(next, "10.0.1.1", true);
    await().atMost(Duration.ofSeconds(10)).until(() -> stateOf(replica("b-1")) == ReplicaState.READY);
    assertThat(scale()).as("the old version keeps serving meanwhile").isEqualTo(1);

    var stopped = provider.stop(replica("a-1"), Duration.ZERO).toCompletableFuture();
    await().atMost(Duration.ofSeconds(10)).until(() -> scale() == 0);
    cluster.sync(deployment());
    stopped.get(10, TimeUnit.SECONDS);

    await().atMost(Duration.ofSeconds(10)).until(() -> scale() == -1);
    assertThat(scaleOf(v2)).isEqualTo(1);
    assertThat(stateOf(replica("b-1"))).isEqualTo(ReplicaState.READY);
  }

  int scaleOf(String name) {
    Deployment d = client.apps().deployments().inNamespace(NAMESPACE).withName(name).get();
    return d == null ? -1 : d.getSpec().getReplicas();
  }

  @Test
  void undeploying_leaves_nothing_the_app_owned() throws Exception {
    runReady("a-1");
    provider.stop(replica("a-1"), Duration.ZERO);
    await().atMost(Duration.ofSeconds(10)).until(() -> scale() == 0);
    cluster.sync(deployment());

    provider.removeApp(app.id()).toCompletableFuture().get(10, TimeUnit.SECONDS);

    assertThat(client.apps().deployments().inNamespace(NAMESPACE).withLabels(AppObjects.labels(app.id())).list()
        .getItems()).isEmpty();
    assertThat(client.secrets().inNamespace(NAMESPACE).withName(AppObjects.secretName(app.id())).get()).isNull();
  }

  @Test
  void every_api_call_the_provider_makes_is_allowed_by_the_nodes_role_and_the_role_allows_nothing_more()
      throws Exception {
    runReady("a-1", "a-2");
    provider.stop(replica("a-2"), Duration.ZERO);
    await().atMost(Duration.ofSeconds(10)).until(() -> scale() == 1);
    cluster.sync(deployment());
    provider.stopAll(Duration.ZERO).toCompletableFuture().get(10, TimeUnit.SECONDS);
    provider = newProvider();
    provider.start(replica("b-1"), app, 1);
    await().atMost(Duration.ofSeconds(10)).until(() -> stateOf(replica("b-1")) == ReplicaState.READY);
    provider.removeApp(app.id()).toCompletableFuture().get(10, TimeUnit.SECONDS);
    try (AutoCloseable observing = new ObservedServices(nodeClient, NAMESPACE).watch("model", 8000, ready -> { })) {
      assertThat(observing).isNotNull();
    }

    Set<Permission> used = new TreeSet<>();
    for (int i = server.getRequestCount(); i > 0; i--) {
      RecordedRequest request = server.takeRequest(1, TimeUnit.SECONDS);
      if (request != null && NODE_AGENT.equals(request.getHeader("User-Agent"))) {
        used.add(ApiCall.permissionOf(request.getMethod(), request.getPath()));
      }
    }
    assertThat(NodeRole.missing(used)).as("calls the Role does not allow").isEmpty();
    assertThat(NodeRole.unused(used)).as("rules no call of the provider needs").isEmpty();
  }
}

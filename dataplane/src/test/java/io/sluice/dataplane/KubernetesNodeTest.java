package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.sluice.config.AppId;
import io.sluice.dataplane.support.Configs;
import io.sluice.dataplane.support.TestNode;
import io.sluice.k8s.AppObjects;
import io.sluice.k8s.ArchiveFetch;
import io.sluice.k8s.FakeReplicaSet;
import io.sluice.k8s.KubernetesOptions;
import io.sluice.k8s.ObservedServices;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node whose replicas are pods: a real node and a real HTTP client against fabric8's mock API server, with the
 * test playing the ReplicaSet and the kubelet ({@link FakeReplicaSet}) and the pod's container a real server process
 * on loopback, so that the node routes to the pod's IP as it does on a cluster.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesNodeTest {

  static final String NAMESPACE = "sluice";
  static final AppId APP = new AppId("local", "podded");

  KubernetesMockServer server;
  KubernetesClient client;

  @TempDir
  Path temp;

  final List<Process> containers = new ArrayList<>();

  @AfterEach
  void stopContainers() {
    containers.forEach(Process::destroyForcibly);
  }

  /** What the kubelet would run in the pod: the example server, as replica {@code name}. */
  /**
   * Starts a pod's container and returns its port once it answers its readiness probe, as the kubelet would before it
   * marks the pod Ready. The server picks its own port: one picked here and handed over could be taken meanwhile.
   */
  int startContainer(String name) throws Exception {
    Path log = temp.resolve(name + ".log");
    ProcessBuilder builder = new ProcessBuilder("python3", TestNode.EXAMPLE_SERVER.toString(), "--host", "127.0.0.1",
        "--port", "0");
    builder.environment().put("SLUICE_REPLICA", name);
    builder.environment().put("WARMUP_SECONDS", "0");
    builder.redirectErrorStream(true).redirectOutput(log.toFile());
    containers.add(builder.start());
    Pattern listening = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");
    int port = await().atMost(Duration.ofSeconds(30)).until(() -> {
      Matcher matcher = listening.matcher(Files.readString(log));
      return matcher.find() ? Integer.parseInt(matcher.group(1)) : 0;
    }, p -> p > 0);
    HttpClient probe = HttpClient.newHttpClient();
    HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ready")).build();
    await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
        .until(() -> probe.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200);
    return port;
  }

  TestNode startNode() throws Exception {
    return TestNode.start(TestNode.options(temp.resolve("state"))
        .kubernetes(new KubernetesOptions(NAMESPACE, Duration.ofSeconds(5), "http://sluice-admin.sluice.svc:9090",
            "http://sluice.sluice.svc", Map.of(), Optional.of(client.getConfiguration())))
        .build());
  }

  Optional<Deployment> deployment() {
    return client.apps().deployments().inNamespace(NAMESPACE).withLabels(AppObjects.labels(APP)).list().getItems()
        .stream().findFirst();
  }

  static List<String> replicaStates(TestNode node) throws Exception {
    List<String> states = new ArrayList<>();
    for (Object replica : node.adminJson("/v1/apps/local/podded").getJsonArray("replicas")) {
      JsonObject r = (JsonObject) replica;
      states.add(r.getString("state") + " " + r.getString("endpoint"));
    }
    return states;
  }

  @Test
  void an_app_runs_as_pods_and_requests_reach_the_ready_pod_at_its_ip_and_undeploy_removes_the_deployment()
      throws Exception {
    int port = startContainer("pod-1");
    try (TestNode node = startNode()) {
      assertThat(node.admin("PUT", "/v1/projects/local/secrets/api_key", "k-123").statusCode()).isLessThan(300);
      var app = node.deploy(TestNode.appFolder(temp, "podded", "cerebrium.toml",
          Configs.cerebrium("podded", 1, 0, "").replace("5000", Integer.toString(port))));

      await().atMost(Duration.ofSeconds(30)).until(() -> deployment().map(d -> d.getSpec().getReplicas())
          .orElse(0) == 1);
      String name = deployment().orElseThrow().getMetadata().getName();
      FakeReplicaSet cluster = new FakeReplicaSet(client, NAMESPACE);
      Pod pod = cluster.sync(name).get(0);
      var held = node.http().sendAsync(node.request("/v4/local/podded/predict")
          .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"hi\"}")).build(),
          HttpResponse.BodyHandlers.ofString());
      cluster.ready(pod, "127.0.0.1", true);

      HttpResponse<String> answer = held.get();
      assertThat(answer.statusCode()).isEqualTo(200);
      assertThat(new JsonObject(answer.body()).getString("replica")).isEqualTo("pod-1");
      assertThat(replicaStates(node)).containsExactly("ready 127.0.0.1:" + port);

      // The pod's init container fetches the app's files from the fleet with the token in the app's Secret: that
      // token opens this version's archive on the node's admin port.
      Deployment made = deployment().orElseThrow();
      var fetch = made.getSpec().getTemplate().getSpec().getInitContainers().get(0);
      long version = Long.parseLong(made.getMetadata().getLabels().get(AppObjects.VERSION_LABEL));
      assertThat(String.join(" ", fetch.getCommand()) + " " + String.join(" ", fetch.getArgs() == null
          ? List.of() : fetch.getArgs()))
          .contains("http://sluice-admin.sluice.svc:9090/v1/apps/local/podded/archive?version=" + version);
      var secret = client.secrets().inNamespace(NAMESPACE).withName(AppObjects.secretName(APP)).get();
      String token = new String(Base64.getDecoder().decode(secret.getData().get(ArchiveFetch.DEFAULT_TOKEN_KEY)));
      // A Cerebrium app sees its project's secrets at /secrets, as on one machine, and not the token among them.
      assertThat(new String(Base64.getDecoder().decode(secret.getData().get("api_key")))).isEqualTo("k-123");
      var podSpec = made.getSpec().getTemplate().getSpec();
      assertThat(podSpec.getVolumes()).filteredOn(v -> v.getSecret() != null).singleElement()
          .satisfies(v -> assertThat(v.getSecret().getItems()).extracting(i -> i.getKey()).containsExactly("api_key"));
      // And it reaches other apps as local replicas do: SLUICE_URL and its replica token, from the Secret.
      var env = podSpec.getContainers().get(0).getEnv();
      assertThat(env).anySatisfy(e -> {
        assertThat(e.getName()).isEqualTo("SLUICE_URL");
        assertThat(e.getValue()).isEqualTo("http://sluice.sluice.svc");
      });
      assertThat(env).anySatisfy(e -> {
        assertThat(e.getName()).isEqualTo("SLUICE_TOKEN");
        assertThat(e.getValueFrom().getSecretKeyRef().getKey()).isEqualTo(ArchiveFetch.DEFAULT_TOKEN_KEY);
      });
      HttpResponse<byte[]> archive = node.http().send(HttpRequest.newBuilder(URI.create(node.adminUrl()
          + "/v1/apps/local/podded/archive?version=" + version)).header("Authorization", "Bearer " + token).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      assertThat(archive.statusCode()).isEqualTo(200);
      assertThat(archive.body()).startsWith('P', 'K');

      cluster.ready(pod, "127.0.0.1", false);
      await().atMost(Duration.ofSeconds(10)).until(() -> replicaStates(node).equals(List.of("not_ready 127.0.0.1:"
          + port)));
      var waiting = node.http().sendAsync(node.request("/v4/local/podded/predict")
          .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
      await().atMost(Duration.ofSeconds(10)).until(() -> app.route().heldCount() == 1);
      assertThat(waiting).as("held while the pod is unready").isNotDone();
      cluster.ready(pod, "127.0.0.1", true);
      assertThat(waiting.get().statusCode()).isEqualTo(200);

      // Undeploy completes once the replica's pod is gone, which the ReplicaSet sees to as the scale drops.
      var removed = node.http().sendAsync(HttpRequest.newBuilder(URI.create(node.adminUrl() + "/v1/apps/local/podded"))
          .header("Authorization", "Bearer " + node.adminToken()).DELETE().build(), HttpResponse.BodyHandlers.ofString());
      await().atMost(Duration.ofSeconds(30)).until(() -> deployment().map(d -> d.getSpec().getReplicas())
          .orElse(0) == 0);
      cluster.sync(name);
      assertThat(removed.get(30, TimeUnit.SECONDS).statusCode()).isLessThan(300);
      await().atMost(Duration.ofSeconds(30)).until(() -> deployment().isEmpty());
    }
  }

  @Test
  void a_restarted_node_adopts_the_running_pod_instead_of_starting_another() throws Exception {
    int port = startContainer("pod-1");
    String name;
    FakeReplicaSet cluster = new FakeReplicaSet(client, NAMESPACE);
    try (TestNode node = startNode()) {
      node.deploy(TestNode.appFolder(temp, "podded", "cerebrium.toml",
          Configs.cerebrium("podded", 1, 0, "").replace("5000", Integer.toString(port))));
      await().atMost(Duration.ofSeconds(30)).until(() -> deployment().map(d -> d.getSpec().getReplicas())
          .orElse(0) == 1);
      name = deployment().orElseThrow().getMetadata().getName();
      cluster.ready(cluster.sync(name).get(0), "127.0.0.1", true);
      await().atMost(Duration.ofSeconds(10)).until(() -> replicaStates(node).equals(List.of("ready 127.0.0.1:"
          + port)));
    }
    String pod = cluster.pods(name).get(0).getMetadata().getName();
    assertThat(deployment().orElseThrow().getSpec().getReplicas()).as("a stopping node leaves its pods").isEqualTo(1);

    try (TestNode node = startNode()) {
      await().atMost(Duration.ofSeconds(30)).until(() -> replicaStates(node).equals(List.of("ready 127.0.0.1:"
          + port)));
      HttpResponse<String> answer = node.post("/v4/local/podded/predict", "{}");

      assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
      assertThat(new JsonObject(answer.body()).getString("replica")).isEqualTo("pod-1");
      assertThat(deployment().orElseThrow().getSpec().getReplicas()).isEqualTo(1);
      assertThat(cluster.pods(name)).extracting(p -> p.getMetadata().getName()).containsExactly(pod);
    }
  }

  @Test
  void an_observe_only_app_is_routed_to_the_ready_endpoints_of_its_service_and_sluice_starts_no_pod()
      throws Exception {
    int port = startContainer("model-7d9f-abcde");
    try (TestNode node = startNode()) {
      var app = node.deploy(TestNode.appFolder(temp, "podded", "cerebrium.toml",
          Configs.cerebrium("podded", 1, 0, "[sluice]\nobserve_service = \"model\"\n")
              .replace("5000", Integer.toString(port))));
      var held = node.http().sendAsync(node.request("/v4/local/podded/predict")
          .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
      await().atMost(Duration.ofSeconds(10)).until(() -> app.route().heldCount() == 1);

      // What the endpoints controller writes for the Deployment that KEDA (or an HPA) scaled up.
      client.discovery().v1().endpointSlices().inNamespace(NAMESPACE).resource(slice(port, true)).create();

      HttpResponse<String> answer = held.get(30, TimeUnit.SECONDS);
      assertThat(answer.statusCode()).isEqualTo(200);
      assertThat(new JsonObject(answer.body()).getString("replica")).isEqualTo("model-7d9f-abcde");
      assertThat(replicaStates(node)).containsExactly("ready 127.0.0.1:" + port);

      client.discovery().v1().endpointSlices().inNamespace(NAMESPACE).resource(slice(port, false)).update();
      await().atMost(Duration.ofSeconds(10)).until(() -> replicaStates(node).isEmpty());
      var waiting = node.http().sendAsync(node.request("/v4/local/podded/predict")
          .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
      await().atMost(Duration.ofSeconds(10)).until(() -> app.route().heldCount() == 1);
      client.discovery().v1().endpointSlices().inNamespace(NAMESPACE).resource(slice(port, true)).update();
      assertThat(waiting.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);

      assertThat(client.apps().deployments().inNamespace(NAMESPACE).list().getItems())
          .as("an observe-only app's pods are someone else's").isEmpty();
    }
  }

  static EndpointSlice slice(int port, boolean ready) {
    return new EndpointSliceBuilder()
        .withNewMetadata().withName("model-x1").withNamespace(NAMESPACE)
        .addToLabels(ObservedServices.SERVICE_NAME_LABEL, "model").endMetadata()
        .withAddressType("IPv4")
        .addNewPort().withName("http").withPort(port).withProtocol("TCP").endPort()
        .addNewEndpoint().withAddresses("127.0.0.1").withNewConditions().withReady(ready).endConditions()
        .withNewTargetRef().withKind("Pod").withName("model-7d9f-abcde").withNamespace(NAMESPACE).endTargetRef()
        .endEndpoint()
        .build();
  }
}

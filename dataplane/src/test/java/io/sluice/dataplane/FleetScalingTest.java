package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.autoscaler.replica.ReplicaState;
import io.sluice.autoscaler.replica.ReplicaStatus;
import io.sluice.config.AppId;
import io.sluice.dataplane.apps.DeployedApp;
import io.sluice.dataplane.support.TestFleet;
import io.sluice.dataplane.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Nodes of one fleet share the app's replicas: one decider starts them, every node routes to any of them. */
class FleetScalingTest {

  private static final AppId APP = new AppId("local", "shared");

  @TempDir
  Path temp;

  @Test
  void a_replica_started_anywhere_serves_through_every_node_and_is_started_once() throws Exception {
    Path folder = TestNode.appFolder(temp, "shared", "cerebrium.toml", config(1));
    try (TestFleet fleet = new TestFleet(temp.resolve("fleet"))) {
      TestNode a = fleet.start(0);
      TestNode b = fleet.start(1);
      a.deploy(folder);

      await().atMost(Duration.ofSeconds(30)).until(() -> readyNames(a).size() == 1 && readyNames(b).size() == 1);
      String replica = readyNames(a).iterator().next();

      for (TestNode node : List.of(a, b)) {
        HttpResponse<String> answer = call(node, a.apiKey(), "/echo");
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(new JsonObject(answer.body()).getString("replica")).isEqualTo(replica);
      }
      assertThat(readyNames(b)).containsExactly(replica);
      assertThat(allReplicas(a)).as("no node started one of its own").hasSize(1);
    }
  }

  @Test
  void a_request_held_on_a_node_that_does_not_decide_wakes_the_app_from_zero() throws Exception {
    Path folder = TestNode.appFolder(temp, "shared", "config.yaml", ScalingEndToEndTest.scalable("shared", 0, 4, 4, 2));
    try (TestFleet fleet = new TestFleet(temp.resolve("fleet"))) {
      TestNode a = fleet.start(0);
      TestNode b = fleet.start(1);
      a.deploy(folder);
      TestNode follower = a.node().decides(APP) ? b : a;
      await().atMost(Duration.ofSeconds(20)).until(() -> follower.node().deployer().app(APP).isPresent());
      // The first replica (initial scale 1, as Knative's) goes once the scale-to-zero grace has passed.
      await().atMost(Duration.ofSeconds(30)).until(() -> allReplicas(a).isEmpty() && allReplicas(b).isEmpty());

      HttpResponse<String> answer = call(follower, a.apiKey(), "/hello");

      assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
      assertThat(allReplicas(a).stream().filter(r -> r.state() != ReplicaState.STOPPED)).hasSize(1);
    }
  }

  @Test
  void when_the_deciding_node_leaves_another_takes_over_without_starting_duplicates() throws Exception {
    Path folder = TestNode.appFolder(temp, "shared", "cerebrium.toml", config(2));
    try (TestFleet fleet = new TestFleet(temp.resolve("fleet"))) {
      TestNode a = fleet.start(0);
      TestNode b = fleet.start(1);
      TestNode c = fleet.start(2);
      a.deploy(folder);
      await().atMost(Duration.ofSeconds(30)).until(() -> readyNames(c).size() == 2);
      TestNode leader = List.of(a, b, c).stream().filter(n -> n.node().decides(APP)).findFirst().orElseThrow();
      List<TestNode> rest = List.of(a, b, c).stream().filter(n -> n != leader).toList();
      String leaderId = leader.node().fleet().self();
      DeployedApp seen = rest.get(0).node().deployer().app(APP).orElseThrow();
      Set<String> onSurvivors = seen.replicas().stream()
          .filter(r -> !seen.nodeOf(r.id()).orElseThrow().equals(leaderId))
          .map(r -> r.id().name()).collect(Collectors.toSet());

      fleet.stop(leader);

      await().atMost(Duration.ofSeconds(30)).until(() -> rest.stream().anyMatch(n -> n.node().decides(APP))
          && rest.stream().anyMatch(n -> n.node().leadsScaling()));
      await().atMost(Duration.ofSeconds(30)).until(() -> readyNames(rest.get(0)).size() == 2);
      for (int i = 0; i < 10; i++) {
        assertThat(call(rest.get(i % 2), a.apiKey(), "/hello").statusCode()).isEqualTo(200);
      }
      Set<String> after = readyNames(rest.get(1));
      assertThat(after).hasSize(2);
      assertThat(allReplicas(rest.get(1))).as("two replicas, not more").hasSize(2);
      assertThat(onSurvivors).as("a surviving node ran a replica").isNotEmpty();
      assertThat(after).as("the replica on a surviving node was kept").containsAll(onSurvivors);
    }
  }

  @Test
  void the_nodes_split_a_replicas_hard_limit_so_that_it_never_gets_more_at_once() throws Exception {
    Path folder = TestNode.appFolder(temp, "shared", "cerebrium.toml", config(1) + """
        max_replicas = 1
        replica_concurrency = 2
        """);
    try (TestFleet fleet = new TestFleet(temp.resolve("fleet"))) {
      TestNode a = fleet.start(0);
      TestNode b = fleet.start(1);
      a.deploy(folder);
      await().atMost(Duration.ofSeconds(30)).until(() -> readyNames(a).size() == 1 && readyNames(b).size() == 1);

      List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> answers = new java.util.ArrayList<>();
      for (int i = 0; i < 8; i++) {
        TestNode node = i % 2 == 0 ? a : b;
        answers.add(node.http().sendAsync(HttpRequest.newBuilder(
                URI.create(node.publicUrl() + "/v4/local/shared/predict?latency_ms=300"))
            .header("Authorization", "Bearer " + a.apiKey()).timeout(Duration.ofSeconds(30)).build(),
            HttpResponse.BodyHandlers.ofString()));
      }
      for (var answer : answers) {
        assertThat(answer.get(30, java.util.concurrent.TimeUnit.SECONDS).statusCode()).isEqualTo(200);
      }

      JsonObject stats = new JsonObject(call(a, a.apiKey(), "/stats").body());
      assertThat(stats.getInteger("requests")).isEqualTo(8);
      assertThat(stats.getInteger("max_in_flight")).as("the replica's own count of requests at once").isEqualTo(2);
    }
  }

  private static String config(int minReplicas) {
    return """
        [cerebrium.deployment]
        name = "shared"
        [cerebrium.runtime.custom]
        port = 8192
        entrypoint = ["python3", "main.py"]
        healthcheck_endpoint = "/health"
        readycheck_endpoint = "/ready"
        [cerebrium.scaling]
        min_replicas = %d
        cooldown = 1
        """.formatted(minReplicas);
  }

  private static HttpResponse<String> call(TestNode node, String key, String path) throws Exception {
    return node.send(HttpRequest.newBuilder(URI.create(node.publicUrl() + "/v4/local/shared" + path))
        .header("Authorization", "Bearer " + key).timeout(Duration.ofSeconds(30)).build());
  }

  private static Set<String> readyNames(TestNode node) {
    return allReplicas(node).stream().filter(r -> r.state() == ReplicaState.READY).map(r -> r.id().name())
        .collect(Collectors.toSet());
  }

  private static List<ReplicaStatus> allReplicas(TestNode node) {
    return node.node().deployer().app(APP).map(DeployedApp::replicas).orElse(List.of());
  }
}

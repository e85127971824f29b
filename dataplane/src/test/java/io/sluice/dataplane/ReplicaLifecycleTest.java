package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.config.AppId;
import io.sluice.dataplane.apps.AppState;
import io.sluice.dataplane.apps.DeployedApp;
import io.sluice.dataplane.support.Configs;
import io.sluice.dataplane.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Replicas as processes: warm-up, crashes, readiness, node shutdown. Each test has a node of its own. */
class ReplicaLifecycleTest {

  @TempDir
  Path temp;

  @Test
  void a_request_during_warm_up_is_held_until_the_replica_is_ready() throws Exception {
    try (TestNode node = TestNode.start(temp.resolve("state"))) {
      node.deploy(TestNode.appFolder(temp, "warm", "cerebrium.toml", Configs.cerebrium("warm", 1, 1.5, "")));
      long sent = System.nanoTime();

      HttpResponse<String> held = node.post("/v4/local/warm/predict", "{}");

      assertThat(held.statusCode()).isEqualTo(200);
      assertThat(Duration.ofNanos(System.nanoTime() - sent)).isGreaterThanOrEqualTo(Duration.ofMillis(1200));
    }
  }

  @Test
  void a_request_held_longer_than_the_hold_timeout_gets_503_with_retry_after() throws Exception {
    try (TestNode node = TestNode.start(TestNode.options(temp.resolve("state"))
        .hold(Duration.ofMillis(500), 100).build())) {
      node.deploy(TestNode.appFolder(temp, "slowstart", "cerebrium.toml",
          Configs.cerebrium("slowstart", 1, 5, "")));

      HttpResponse<String> early = node.post("/v4/local/slowstart/predict", "{}");

      assertThat(early.statusCode()).isEqualTo(503);
      assertThat(early.headers().firstValue("Retry-After")).hasValue("1");
      assertThat(new JsonObject(early.body()).getJsonObject("error").getString("code")).isEqualTo("hold_timeout");
    }
  }

  @Test
  void a_killed_replica_is_restarted_and_traffic_resumes() throws Exception {
    try (TestNode node = TestNode.start(temp.resolve("state"))) {
      node.deployAndAwaitReady(TestNode.appFolder(temp, "crashy", "cerebrium.toml",
          Configs.cerebrium("crashy", 1, 0, "")));
      long pid = new JsonObject(node.get("/v4/local/crashy/stats").body()).getLong("pid");

      ProcessHandle.of(pid).orElseThrow().destroyForcibly();

      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        HttpResponse<String> stats = node.get("/v4/local/crashy/stats");
        assertThat(stats.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(stats.body()).getLong("pid")).isNotEqualTo(pid);
      });
      JsonObject replica = node.adminJson("/v1/apps/local/crashy").getJsonArray("replicas").getJsonObject(0);
      assertThat(replica.getInteger("restarts")).isEqualTo(1);
      assertThat(replica.getString("state")).isEqualTo("ready");
    }
  }

  @Test
  void a_replica_that_resets_the_connection_gives_502_and_is_restarted() throws Exception {
    try (TestNode node = TestNode.start(temp.resolve("state"))) {
      node.deployAndAwaitReady(TestNode.appFolder(temp, "resets", "cerebrium.toml",
          Configs.cerebrium("resets", 1, 0, "")));

      HttpResponse<String> crashed = node.post("/v4/local/resets/control/crash", "{}");

      assertThat(crashed.statusCode()).isEqualTo(502);
      assertThat(new JsonObject(crashed.body()).getJsonObject("error").getString("code")).startsWith("replica_");
      await().atMost(Duration.ofSeconds(20)).until(() ->
          node.post("/v4/local/resets/predict", "{}").statusCode() == 200);
    }
  }

  @Test
  void a_replica_failing_its_liveness_probe_is_restarted() throws Exception {
    try (TestNode node = TestNode.start(temp.resolve("state"))) {
      DeployedApp app = node.deployAndAwaitReady(TestNode.appFolder(temp, "sick", "cerebrium.toml",
          Configs.cerebrium("sick", 1, 0, "")));
      var replica = app.replicas().get(0);
      String direct = "http://127.0.0.1:" + replica.endpoint().orElseThrow().port();
      long pid = new JsonObject(node.get("/v4/local/sick/stats").body()).getLong("pid");

      node.send(HttpRequest.newBuilder(URI.create(direct + "/control/healthy?value=false")).GET().build());

      await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        HttpResponse<String> stats = node.get("/v4/local/sick/stats");
        assertThat(stats.statusCode()).isEqualTo(200);
        assertThat(new JsonObject(stats.body()).getLong("pid")).isNotEqualTo(pid);
      });
      assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
      assertThat(app.replicas().get(0).restarts()).isEqualTo(1);
    }
  }

  @Test
  void an_app_without_endpoints_is_probed_by_tcp_connect() throws Exception {
    try (TestNode node = TestNode.start(temp.resolve("state"))) {
      String config = Configs.cerebrium("tcp", 1, 0, "")
          .replace("healthcheck_endpoint = \"/health\"\n", "")
          .replace("readycheck_endpoint = \"/ready\"\n", "");

      node.deployAndAwaitReady(TestNode.appFolder(temp, "tcp", "cerebrium.toml", config));

      assertThat(node.post("/v4/local/tcp/predict", "{}").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void a_node_started_with_an_apps_folder_deploys_the_shipped_examples_from_both_formats() throws Exception {
    Path examples = Path.of("..", "examples").toAbsolutePath().normalize();
    try (TestNode node = TestNode.start(TestNode.options(temp.resolve("state")).appsDir(examples).build())) {
      node.awaitState(new AppId("local", "hello"), AppState.READY);
      node.awaitState(new AppId("local", "hello-truss"), AppState.READY);

      assertThat(node.post("/v4/local/hello/predict", "{}").statusCode()).isEqualTo(200);
      assertThat(node.post("/v4/local/hello-truss/predict", "{}").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void replica_processes_left_by_a_node_that_was_killed_are_reaped_when_a_node_starts() throws Exception {
    Path stateDir = temp.resolve("state");
    Path replicaDir = Files.createDirectories(stateDir.resolve("replicas/local/gone/gone-abcde"));
    Process orphan = new ProcessBuilder("sleep", "300").start();
    Files.writeString(replicaDir.resolve("replica.pid"), orphan.pid() + " "
        + orphan.toHandle().info().startInstant().orElseThrow().toEpochMilli() + "\n");

    try (TestNode node = TestNode.start(stateDir)) {
      await().atMost(Duration.ofSeconds(10)).until(() -> !orphan.isAlive());
      assertThat(replicaDir.resolve("replica.pid")).doesNotExist();
    }
  }

  @Test
  void a_replica_that_turns_unready_stops_getting_traffic_until_it_is_ready_again() throws Exception {
    try (TestNode node = TestNode.start(temp.resolve("state"))) {
      DeployedApp app = node.deploy(TestNode.appFolder(temp, "pair", "cerebrium.toml",
          Configs.cerebrium("pair", 2, 0, "")));
      await().atMost(Duration.ofSeconds(30)).until(() -> app.route().readyReplicas().size() == 2);
      var unready = app.replicas().get(0);
      String unreadyName = unready.id().name();
      String direct = "http://127.0.0.1:" + unready.endpoint().orElseThrow().port();

      node.send(HttpRequest.newBuilder(URI.create(direct + "/control/ready?value=false")).GET().build());

      await().atMost(Duration.ofSeconds(5)).until(() -> app.route().readyReplicas().size() == 1);
      Set<String> served = new HashSet<>();
      for (int i = 0; i < 20; i++) {
        served.add(new JsonObject(node.post("/v4/local/pair/predict", "{}").body()).getString("replica"));
      }
      assertThat(served).hasSize(1).doesNotContain(unreadyName);

      node.send(HttpRequest.newBuilder(URI.create(direct + "/control/ready?value=true")).GET().build());

      await().atMost(Duration.ofSeconds(5)).until(() -> app.route().readyReplicas().size() == 2);
      await().atMost(Duration.ofSeconds(5)).until(() -> unreadyName.equals(
          new JsonObject(node.post("/v4/local/pair/predict", "{}").body()).getString("replica")));
    }
  }

  @Test
  void two_replicas_configured_for_the_same_port_run_side_by_side() throws Exception {
    try (TestNode node = TestNode.start(temp.resolve("state"))) {
      DeployedApp app = node.deploy(TestNode.appFolder(temp, "twins", "cerebrium.toml",
          Configs.cerebrium("twins", 2, 0, "")));
      await().atMost(Duration.ofSeconds(30)).until(() -> app.route().readyReplicas().size() == 2);

      Set<String> served = new HashSet<>();
      for (int i = 0; i < 20; i++) {
        served.add(new JsonObject(node.post("/v4/local/twins/predict", "{}").body()).getString("replica"));
      }

      assertThat(served).hasSize(2);
    }
  }

  @Test
  void stopping_the_node_finishes_in_flight_requests_then_leaves_no_replica_process() throws Exception {
    TestNode node = TestNode.start(temp.resolve("state"));
    DeployedApp app = node.deploy(TestNode.appFolder(temp, "drain", "cerebrium.toml",
        Configs.cerebrium("drain", 2, 0, "")));
    await().atMost(Duration.ofSeconds(30)).until(() -> app.route().readyReplicas().size() == 2);
    List<Long> pids = new ArrayList<>();
    for (var replica : app.replicas()) {
      String direct = "http://127.0.0.1:" + replica.endpoint().orElseThrow().port() + "/stats";
      pids.add(new JsonObject(node.send(HttpRequest.newBuilder(URI.create(direct)).GET().build()).body())
          .getLong("pid"));
    }
    CompletableFuture<HttpResponse<String>> slow = node.http().sendAsync(
        node.request("/v4/local/drain/predict?latency_ms=1500")
            .POST(HttpRequest.BodyPublishers.ofString("{}")).build(),
        HttpResponse.BodyHandlers.ofString());
    await().atMost(Duration.ofSeconds(5)).until(() -> app.route().inFlight() == 1);

    var stopped = node.node().stop().toCompletionStage().toCompletableFuture();

    HttpResponse<String> late = node.post("/v4/local/drain/predict", "{}");
    assertThat(late.statusCode()).isEqualTo(503);
    assertThat(new JsonObject(late.body()).getJsonObject("error").getString("code")).isEqualTo("node_draining");
    assertThat(slow.get().statusCode()).isEqualTo(200);
    stopped.get(30, TimeUnit.SECONDS);
    for (long pid : pids) {
      assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("pid %d alive", pid).isFalse();
    }
  }

  @Test
  void a_node_stopped_while_a_replica_is_being_started_leaves_no_replica_process() throws Exception {
    Instant testStart = Instant.now();
    Path folder = TestNode.appFolder(temp, "bulky", "cerebrium.toml", Configs.cerebrium("bulky", 1, 0, ""));
    // Thousands of files make the replica's copy of the app slow enough for the stop to land while it is spawned.
    Path assets = Files.createDirectories(folder.resolve("assets"));
    for (int i = 0; i < 3000; i++) {
      Files.writeString(assets.resolve("f" + i), "x");
    }
    TestNode node = TestNode.start(temp.resolve("state"));
    DeployedApp app = node.deploy(folder);
    await().atMost(Duration.ofSeconds(30)).until(() -> !app.replicas().isEmpty());

    node.node().stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

    // A spawn that outlived the stop would start its process moments later: none may appear for a while.
    await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> ProcessHandle.current()
        .descendants()
        .filter(ProcessHandle::isAlive)
        .noneMatch(p -> p.info().startInstant().map(at -> !at.isBefore(testStart)).orElse(false)));
  }
}

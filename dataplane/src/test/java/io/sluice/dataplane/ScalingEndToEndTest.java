package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.config.AppId;
import io.sluice.dataplane.apps.DeployedApp;
import io.sluice.dataplane.scaling.ScalingOptions;
import io.sluice.dataplane.support.Configs;
import io.sluice.dataplane.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The autoscaler on one node, end to end: real clients, real replica processes, the hold queue, scale from and to
 * zero. Windows are short (2 s) and the scale-to-zero grace is 2 s so that the tests run in seconds.
 */
class ScalingEndToEndTest {

  @TempDir
  Path temp;

  /** A Truss app that can scale to zero, with a 2 s window and no scale-down delay. */
  static String scalable(String name, double warmupSeconds, int hardLimit, int target, int maxReplicas) {
    return Configs.truss(name, """
        runtime:
          predict_concurrency: %d
        autoscaling_settings:
          min_replica: 0
          max_replica: %d
          concurrency_target: %d
          target_utilization_percentage: 100
          autoscaling_window: 2
          scale_down_delay: 0
        """.formatted(hardLimit, maxReplicas, target))
        .replace("WARMUP_SECONDS: \"0\"", "WARMUP_SECONDS: \"" + warmupSeconds + "\"");
  }

  private static List<CompletableFuture<HttpResponse<String>>> burst(TestNode node, String path, int n) {
    List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      responses.add(node.http().sendAsync(node.request(path)
          .POST(HttpRequest.BodyPublishers.ofString("{\"i\": " + i + "}")).build(),
          HttpResponse.BodyHandlers.ofString()));
    }
    return responses;
  }

  private static int ready(DeployedApp app) {
    return app.route().readyReplicas().size();
  }

  @Test
  void an_app_at_zero_answers_a_burst_of_50_requests_the_first_held_through_the_warm_up() throws Exception {
    try (TestNode node = TestNode.start(temp.resolve("state"))) {
      DeployedApp app = node.deploy(TestNode.appFolder(temp, "zero", "config.yaml", scalable("zero", 1.0, 8, 8, 3)));
      await().atMost(Duration.ofSeconds(30)).until(() -> ready(app) == 1);
      await().atMost(Duration.ofSeconds(30)).until(() -> app.liveReplicas().isEmpty());

      long started = System.nanoTime();
      List<CompletableFuture<HttpResponse<String>>> responses = burst(node, "/v4/local/zero/predict", 50);

      for (CompletableFuture<HttpResponse<String>> response : responses) {
        assertThat(response.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
      }
      assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofSeconds(1));
      JsonObject scaling = node.adminJson("/v1/apps/local/zero/scaling");
      assertThat(scaling.getJsonArray("decisions").stream().map(d -> ((JsonObject) d).getInteger("desired")))
          .contains(0);
    }
  }

  @Test
  void with_the_knative_policy_an_app_at_zero_also_answers_a_burst() throws Exception {
    try (TestNode node = TestNode.start(TestNode.options(temp.resolve("state"))
        .scaling(new ScalingOptions("knative", Duration.ofMillis(500), Duration.ofSeconds(1))).build())) {
      DeployedApp app = node.deploy(TestNode.appFolder(temp, "kpa", "config.yaml", scalable("kpa", 0.5, 4, 4, 3)));
      await().atMost(Duration.ofSeconds(30)).until(() -> ready(app) == 1);
      await().atMost(Duration.ofSeconds(30)).until(() -> app.liveReplicas().isEmpty());

      List<CompletableFuture<HttpResponse<String>>> responses = burst(node, "/v4/local/kpa/predict", 20);

      for (CompletableFuture<HttpResponse<String>> response : responses) {
        assertThat(response.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
      }
      assertThat(node.adminJson("/v1/apps/local/kpa/scaling").getString("policy")).isEqualTo("knative");
    }
  }

  @Test
  void under_sustained_load_the_app_grows_within_its_maximum_and_returns_to_zero_when_idle() throws Exception {
    try (TestNode node = TestNode.start(temp.resolve("state"))) {
      DeployedApp app = node.deploy(TestNode.appFolder(temp, "grow", "config.yaml", scalable("grow", 0, 1, 1, 3)));
      await().atMost(Duration.ofSeconds(30)).until(() -> ready(app) == 1);
      AtomicBoolean loading = new AtomicBoolean(true);
      ConcurrentLinkedQueue<Integer> statuses = new ConcurrentLinkedQueue<>();
      List<CompletableFuture<Void>> clients = new ArrayList<>();
      for (int c = 0; c < 4; c++) {
        clients.add(CompletableFuture.runAsync(() -> {
          while (loading.get()) {
            try {
              statuses.add(node.post("/v4/local/grow/predict?latency_ms=200", "{}").statusCode());
            } catch (Exception e) {
              statuses.add(-1);
            }
          }
        }));
      }
      int peak = 0;
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (System.nanoTime() < until && peak < 3) {
        peak = Math.max(peak, app.liveReplicas().size());
        await().pollDelay(Duration.ofMillis(100)).until(() -> true);
      }
      loading.set(false);
      CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

      assertThat(peak).isBetween(2, 3);
      await().atMost(Duration.ofSeconds(30)).until(() -> app.liveReplicas().isEmpty() && ready(app) == 0);
      assertThat(statuses).isNotEmpty().allMatch(status -> status == 200);
    }
  }

  @Test
  void no_request_fails_while_the_app_scales_down() throws Exception {
    try (TestNode node = TestNode.start(temp.resolve("state"))) {
      DeployedApp app = node.deploy(TestNode.appFolder(temp, "shrink", "config.yaml",
          scalable("shrink", 0, 1, 1, 3)));
      await().atMost(Duration.ofSeconds(30)).until(() -> ready(app) == 1);
      List<CompletableFuture<HttpResponse<String>>> wave = burst(node, "/v4/local/shrink/predict?latency_ms=1500", 6);
      await().atMost(Duration.ofSeconds(20)).until(() -> ready(app) >= 2);
      List<CompletableFuture<HttpResponse<String>>> trickle = new ArrayList<>();
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
      while (System.nanoTime() < until) {
        trickle.add(node.http().sendAsync(node.request("/v4/local/shrink/predict?latency_ms=300")
            .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString()));
        trickle.get(trickle.size() - 1).get(30, TimeUnit.SECONDS);
      }

      for (CompletableFuture<HttpResponse<String>> response : wave) {
        assertThat(response.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
      }
      for (CompletableFuture<HttpResponse<String>> response : trickle) {
        assertThat(response.get().statusCode()).isEqualTo(200);
      }
      await().atMost(Duration.ofSeconds(30)).until(() -> app.liveReplicas().size() <= 1);
    }
  }

  @Test
  void the_hard_limit_is_never_exceeded_on_a_replica() throws Exception {
    try (TestNode node = TestNode.start(temp.resolve("state"))) {
      DeployedApp app = node.deploy(TestNode.appFolder(temp, "limited", "config.yaml",
          scalable("limited", 0, 2, 2, 1)));
      await().atMost(Duration.ofSeconds(30)).until(() -> ready(app) == 1);

      List<CompletableFuture<HttpResponse<String>>> responses =
          burst(node, "/v4/local/limited/predict?latency_ms=100", 20);
      for (CompletableFuture<HttpResponse<String>> response : responses) {
        assertThat(response.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
      }

      JsonObject stats = new JsonObject(node.get("/v4/local/limited/stats").body());
      assertThat(stats.getInteger("requests")).isEqualTo(20);
      assertThat(stats.getInteger("max_in_flight")).isEqualTo(2);
    }
  }

  @Test
  void a_full_hold_queue_answers_503_with_retry_after() throws Exception {
    try (TestNode node = TestNode.start(TestNode.options(temp.resolve("state"))
        .hold(Duration.ofSeconds(10), 2).build())) {
      DeployedApp app = node.deploy(TestNode.appFolder(temp, "full", "config.yaml", scalable("full", 0, 1, 1, 1)));
      await().atMost(Duration.ofSeconds(30)).until(() -> ready(app) == 1);

      List<CompletableFuture<HttpResponse<String>>> responses =
          burst(node, "/v4/local/full/predict?latency_ms=1500", 6);

      List<HttpResponse<String>> refused = new ArrayList<>();
      int served = 0;
      for (CompletableFuture<HttpResponse<String>> future : responses) {
        HttpResponse<String> response = future.get(30, TimeUnit.SECONDS);
        if (response.statusCode() == 200) {
          served++;
        } else {
          refused.add(response);
        }
      }
      assertThat(served).isEqualTo(3);
      assertThat(refused).hasSize(3).allSatisfy(response -> {
        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(new JsonObject(response.body()).getJsonObject("error").getString("code")).isEqualTo("queue_full");
      });
    }
  }

  @Test
  void a_gpu_pool_at_its_node_limit_bounds_the_replicas_and_says_why_the_rest_wait() throws Exception {
    var pools = io.sluice.config.NodeConfigReader.parse("""
        [[pools]]
        name = "l4"
        gpu = "L4"
        gpus_per_node = 1
        max_nodes = 1
        provision_seconds = 0
        """, Path.of("sluice.toml"));
    try (TestNode node = TestNode.start(TestNode.options(temp.resolve("state")).pools(pools).build())) {
      String config = scalable("gpu", 0, 1, 1, 3) + "resources:\n  accelerator: L4\n";
      DeployedApp app = node.deploy(TestNode.appFolder(temp, "gpu", "config.yaml", config));
      await().atMost(Duration.ofSeconds(30)).until(() -> ready(app) == 1);

      List<CompletableFuture<HttpResponse<String>>> load = burst(node, "/v4/local/gpu/predict?latency_ms=2000", 3);

      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        JsonObject capacity = node.adminJson("/v1/capacity");
        assertThat(capacity.getJsonArray("waiting_for_capacity").encode()).contains("local/gpu")
            .contains("max_nodes");
        assertThat(capacity.getJsonArray("pools").getJsonObject(0).getInteger("gpus_used")).isEqualTo(1);
      });
      assertThat(app.liveReplicas()).hasSize(1);
      for (CompletableFuture<HttpResponse<String>> response : load) {
        assertThat(response.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
      }
    }
  }

  @Test
  void the_scaling_state_shows_observed_load_and_the_reasons_for_decisions() throws Exception {
    try (TestNode node = TestNode.start(temp.resolve("state"))) {
      DeployedApp app = node.deploy(TestNode.appFolder(temp, "seen", "config.yaml", scalable("seen", 0, 4, 4, 2)));
      await().atMost(Duration.ofSeconds(30)).until(() -> ready(app) == 1);
      for (CompletableFuture<HttpResponse<String>> r : burst(node, "/v4/local/seen/predict?latency_ms=500", 3)) {
        r.get(30, TimeUnit.SECONDS);
      }

      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        JsonObject scaling = node.adminJson("/v1/apps/local/seen/scaling");
        assertThat(scaling.getString("policy")).isEqualTo("sluice");
        assertThat(scaling.getJsonObject("observed").getJsonObject("concurrency").getDouble("stable"))
            .isGreaterThan(0.0);
        assertThat(scaling.getJsonObject("observed").getJsonObject("requests_per_second").getDouble("stable"))
            .isGreaterThan(0.0);
        assertThat(scaling.getInteger("ready")).isEqualTo(1);
        assertThat(scaling.getJsonArray("decisions")).isNotEmpty();
        assertThat(((JsonObject) scaling.getJsonArray("decisions").getValue(0)).getString("reason")).isNotBlank();
      });
      assertThat(node.node().deployer().app(new AppId("local", "seen"))).isPresent();
    }
  }
}

package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.config.AppId;
import io.sluice.dataplane.apps.AppState;
import io.sluice.dataplane.apps.DeployedApp;
import io.sluice.dataplane.support.Configs;
import io.sluice.dataplane.support.Scrape;
import io.sluice.dataplane.support.TestNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests through a real node to a real replica, then the admin port's {@code /metrics} read as Prometheus reads
 * it: with a plain HTTP client and no credential.
 */
class MetricsEndToEndTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir
  static Path temp;

  static TestNode node;

  @BeforeAll
  static void startNode() throws Exception {
    node = TestNode.start(temp.resolve("state"));
  }

  @AfterAll
  static void stopNode() throws Exception {
    node.close();
  }

  /** A scrape as Prometheus makes it: no Authorization header. */
  static Scrape scrape() throws Exception {
    HttpResponse<String> response = node.send(HttpRequest.newBuilder(URI.create(node.adminUrl() + "/metrics"))
        .GET().build());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
    return Scrape.of(response.body());
  }

  static double value(Scrape scrape, String name, String app, String... labels) {
    String[] all = new String[labels.length + 4];
    all[0] = "project";
    all[1] = "local";
    all[2] = "app";
    all[3] = app;
    System.arraycopy(labels, 0, all, 4, labels.length);
    return scrape.value(name, all).orElseThrow(() -> new AssertionError("no " + name + " for " + app));
  }

  @Test
  void every_request_through_the_node_is_counted_by_status_class_and_timed_and_in_flight_returns_to_zero()
      throws Exception {
    node.deployAndAwaitReady(TestNode.appFolder(temp, "counted", "cerebrium.toml",
        Configs.cerebrium("counted", 1, 0, "")));
    int ok = 20;
    int notFound = 3;

    for (int i = 0; i < ok; i++) {
      assertThat(node.post("/v4/local/counted/predict", "{}").statusCode()).isEqualTo(200);
    }
    for (int i = 0; i < notFound; i++) {
      assertThat(node.get("/v4/local/counted/no-such-route").statusCode()).isEqualTo(404);
    }
    CompletableFuture<HttpResponse<String>> slow = node.http().sendAsync(
        node.request("/v4/local/counted/predict?latency_ms=1500").POST(HttpRequest.BodyPublishers.ofString("{}"))
            .build(), HttpResponse.BodyHandlers.ofString());
    await().atMost(WAIT).untilAsserted(() ->
        assertThat(value(scrape(), "sluice_app_requests_in_flight", "counted")).isEqualTo(1));
    assertThat(slow.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);

    int all = ok + 1 + notFound;
    await().atMost(WAIT).untilAsserted(() -> {
      Scrape scrape = scrape();
      assertThat(value(scrape, "sluice_app_requests_total", "counted", "status_class", "2xx")).isEqualTo(ok + 1);
      assertThat(value(scrape, "sluice_app_requests_total", "counted", "status_class", "4xx")).isEqualTo(notFound);
      assertThat(value(scrape, "sluice_app_requests_total", "counted", "status_class", "5xx")).isZero();
      assertThat(value(scrape, "sluice_app_request_duration_seconds_count", "counted")).isEqualTo(all);
      assertThat(value(scrape, "sluice_app_requests_in_flight", "counted")).isZero();
    });
    Scrape scrape = scrape();
    assertThat(value(scrape, "sluice_app_request_duration_seconds_bucket", "counted", "le", "+Inf")).isEqualTo(all);
    assertThat(value(scrape, "sluice_app_request_duration_seconds_bucket", "counted", "le", "1.0"))
        .as("the 1.5 s request is timed through the node, past the 1 s bucket").isEqualTo(all - 1);
    assertThat(value(scrape, "sluice_app_request_duration_seconds_bucket", "counted", "le", "2.5")).isEqualTo(all);
    assertThat(value(scrape, "sluice_app_request_duration_seconds_sum", "counted")).isGreaterThanOrEqualTo(1.5);
    assertThat(value(scrape, "sluice_app_requests_held", "counted")).isZero();
    assertThat(value(scrape, "sluice_app_replicas_ready", "counted")).isEqualTo(1);
    assertThat(value(scrape, "sluice_app_replicas_desired", "counted")).as("the decider's count").isEqualTo(1);
    assertThat(value(scrape, "sluice_app_panicking", "counted")).isZero();
    assertThat(scrape.value("sluice_apps_unlabelled")).hasValue(0);
  }

  /** A Truss app of one replica at most with one slot, that scales to zero 2 s after its last request. */
  static String sleepy(String name, double warmupSeconds, int minReplicas) {
    return Configs.truss(name, """
        runtime:
          predict_concurrency: 1
        autoscaling_settings:
          min_replica: %d
          max_replica: 1
          autoscaling_window: 2
          scale_down_delay: 0
        """.formatted(minReplicas))
        .replace("WARMUP_SECONDS: \"0\"", "WARMUP_SECONDS: \"" + warmupSeconds + "\"");
  }

  @Test
  void a_request_that_wakes_an_app_at_zero_is_one_cold_start_timed_from_its_hold_to_the_replica_ready()
      throws Exception {
    DeployedApp app = node.deploy(TestNode.appFolder(temp, "wake", "config.yaml", sleepy("wake", 1.0, 0)));
    await().atMost(Duration.ofSeconds(30)).until(() -> app.route().readyCount() == 1);
    await().atMost(Duration.ofSeconds(30)).until(() -> app.liveReplicas().isEmpty() && app.route().readyCount() == 0);
    assertThat(value(scrape(), "sluice_app_cold_starts_total", "wake"))
        .as("no request waited for the deploy's replica").isZero();

    long sent = System.nanoTime();
    assertThat(node.post("/v4/local/wake/predict", "{}").statusCode()).isEqualTo(200);
    double waitedSeconds = (System.nanoTime() - sent) / 1e9;

    Scrape scrape = scrape();
    assertThat(value(scrape, "sluice_app_cold_starts_total", "wake")).isEqualTo(1);
    assertThat(value(scrape, "sluice_app_cold_start_duration_seconds_count", "wake")).isEqualTo(1);
    assertThat(value(scrape, "sluice_app_cold_start_duration_seconds_sum", "wake"))
        .as("the server's 1 s warm-up at least, and no longer than its client waited")
        .isBetween(1.0, waitedSeconds);
    assertThat(value(scrape, "sluice_app_hold_duration_seconds_count", "wake")).isEqualTo(1);
    assertThat(value(scrape, "sluice_app_hold_duration_seconds_sum", "wake")).isBetween(1.0, waitedSeconds);
    assertThat(value(scrape, "sluice_app_replica_starts_total", "wake")).as("the deploy's, then the wake's")
        .isEqualTo(2);
    assertThat(value(scrape, "sluice_app_replica_became_ready_total", "wake")).isEqualTo(2);
  }

  @Test
  void a_request_that_waits_for_a_busy_replicas_slot_is_held_time_but_no_cold_start() throws Exception {
    node.deployAndAwaitReady(TestNode.appFolder(temp, "narrow", "config.yaml", sleepy("narrow", 0, 1)));
    CompletableFuture<HttpResponse<String>> first = node.http().sendAsync(
        node.request("/v4/local/narrow/predict?latency_ms=1500").POST(HttpRequest.BodyPublishers.ofString("{}"))
            .build(), HttpResponse.BodyHandlers.ofString());
    await().atMost(WAIT).untilAsserted(() ->
        assertThat(value(scrape(), "sluice_app_requests_in_flight", "narrow")).isEqualTo(1));

    assertThat(node.post("/v4/local/narrow/predict", "{}").statusCode()).isEqualTo(200);

    assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    Scrape scrape = scrape();
    assertThat(value(scrape, "sluice_app_hold_duration_seconds_count", "narrow")).as("the second request only")
        .isEqualTo(1);
    assertThat(value(scrape, "sluice_app_hold_duration_seconds_bucket", "narrow", "le", "0.1")).isZero();
    assertThat(value(scrape, "sluice_app_hold_duration_seconds_bucket", "narrow", "le", "2.5")).isEqualTo(1);
    assertThat(value(scrape, "sluice_app_cold_starts_total", "narrow")).isZero();
  }

  @Test
  void a_server_that_exits_at_once_is_counted_as_failed_starts_and_given_up() throws Exception {
    node.deploy(TestNode.appFolder(temp, "doomed", "cerebrium.toml", """
        [cerebrium.deployment]
        name = "doomed"

        [cerebrium.runtime.custom]
        port = 5000
        entrypoint = ["python3", "-c", "import sys; sys.exit(3)"]

        [cerebrium.scaling]
        min_replicas = 1
        """));
    node.awaitState(new AppId("local", "doomed"), AppState.FAILED);

    await().atMost(WAIT).untilAsserted(() -> {
      Scrape scrape = scrape();
      assertThat(value(scrape, "sluice_app_replica_starts_total", "doomed")).as("started, then once again")
          .isEqualTo(TestNode.FAST_PROBES.maxFailedStarts());
      assertThat(value(scrape, "sluice_app_replica_failures_total", "doomed", "reason", "exited_before_ready"))
          .isEqualTo(TestNode.FAST_PROBES.maxFailedStarts());
      assertThat(value(scrape, "sluice_app_replicas_given_up_total", "doomed")).isEqualTo(1);
      assertThat(value(scrape, "sluice_app_replica_became_ready_total", "doomed")).isZero();
      assertThat(value(scrape, "sluice_app_replica_failures_total", "doomed", "reason", "crashed")).isZero();
    });
  }

  @Test
  void a_ready_replica_that_dies_is_counted_as_crashed_and_its_restart_as_a_start() throws Exception {
    node.deployAndAwaitReady(TestNode.appFolder(temp, "fragile", "cerebrium.toml",
        Configs.cerebrium("fragile", 1, 0, "")));

    assertThat(node.post("/v4/local/fragile/control/crash", "{}").statusCode()).isEqualTo(502);

    await().atMost(WAIT).untilAsserted(() -> {
      Scrape scrape = scrape();
      assertThat(value(scrape, "sluice_app_replica_failures_total", "fragile", "reason", "crashed")).isEqualTo(1);
      assertThat(value(scrape, "sluice_app_replica_starts_total", "fragile")).isEqualTo(2);
      assertThat(value(scrape, "sluice_app_replica_became_ready_total", "fragile")).isEqualTo(2);
    });
    assertThat(value(scrape(), "sluice_app_replica_failures_total", "fragile", "reason", "exited_before_ready"))
        .isZero();
    assertThat(value(scrape(), "sluice_app_replicas_given_up_total", "fragile")).isZero();
  }

  @Test
  void a_replica_that_fails_its_liveness_probes_is_counted_by_that_reason() throws Exception {
    DeployedApp app = node.deployAndAwaitReady(TestNode.appFolder(temp, "sick", "cerebrium.toml",
        Configs.cerebrium("sick", 1, 0, "")));
    int port = app.replicas().get(0).endpoint().orElseThrow().port();

    node.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/control/healthy?value=false"))
        .GET().build());

    await().atMost(WAIT).untilAsserted(() -> {
      Scrape scrape = scrape();
      assertThat(value(scrape, "sluice_app_replica_failures_total", "sick", "reason", "liveness_failed"))
          .isEqualTo(1);
      assertThat(value(scrape, "sluice_app_replica_became_ready_total", "sick")).isEqualTo(2);
    });
  }

  @Test
  void vertx_meters_the_admin_http_server_and_metrics_need_no_admin_token() throws Exception {
    assertThat(node.admin("GET", "/health", null).statusCode()).isEqualTo(200);

    await().atMost(WAIT).untilAsserted(() -> assertThat(scrape()
        .matching("vertx_http_server_requests_total", "method", "GET", "code", "200"))
        .isNotEmpty()
        .allSatisfy(sample -> assertThat(sample.value()).isPositive()));
    assertThat(scrape().hasMetricStartingWith("vertx_pool_")).as("worker pools").isTrue();
  }

  @Test
  void an_undeployed_apps_series_are_gone() throws Exception {
    node.deployAndAwaitReady(TestNode.appFolder(temp, "leaving", "cerebrium.toml",
        Configs.cerebrium("leaving", 1, 0, "")));
    assertThat(node.post("/v4/local/leaving/predict", "{}").statusCode()).isEqualTo(200);
    await().atMost(WAIT).untilAsserted(() -> assertThat(
        value(scrape(), "sluice_app_requests_total", "leaving", "status_class", "2xx")).isEqualTo(1));

    assertThat(node.admin("DELETE", "/v1/apps/local/leaving", null).statusCode()).isEqualTo(200);

    assertThat(scrape().labelled("app", "leaving")).isEmpty();
  }
}

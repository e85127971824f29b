package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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

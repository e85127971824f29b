package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.dataplane.runs.RunOptions;
import io.sluice.dataplane.runs.Webhooks;
import io.sluice.dataplane.support.Configs;
import io.sluice.dataplane.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Asynchronous runs through a real node and replica: accepted with 202, run, asked about, cancelled, webhooked. */
class AsyncRunsTest {

  @TempDir
  static Path temp;

  static TestNode node;
  static Vertx vertx;
  static HttpServer receiver;
  static final BlockingQueue<Delivery> deliveries = new LinkedBlockingQueue<>();
  /** How many deliveries the webhook receiver refuses (with 500) before it takes one. */
  static final AtomicInteger refuseNext = new AtomicInteger();

  record Delivery(String signature, String runId, byte[] body, long receivedAtSeconds) {}

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.start(TestNode.options(temp.resolve("state"))
        .runs(RunOptions.defaults().withLease(Duration.ofSeconds(1), Duration.ofMillis(50))).build());
    node.deployAndAwaitReady(TestNode.appFolder(temp, "hello", "cerebrium.toml", Configs.cerebrium("hello", 1, 0, "")));
    vertx = Vertx.vertx();
    receiver = vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> {
      if (refuseNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        request.response().setStatusCode(500).end();
        return;
      }
      deliveries.add(new Delivery(request.getHeader(Webhooks.SIGNATURE_HEADER), request.getHeader("x-sluice-run-id"),
          body.getBytes(), System.currentTimeMillis() / 1000));
      request.response().setStatusCode(204).end();
    })).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    node.close();
  }

  static JsonObject submit(String path, String body, String... headers) throws Exception {
    HttpRequest.Builder request = node.request(path).POST(HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      request.header(headers[i], headers[i + 1]);
    }
    HttpResponse<String> accepted = node.send(request.build());
    assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
    JsonObject json = new JsonObject(accepted.body());
    assertThat(accepted.headers().firstValue("Location")).hasValue(json.getString("status_url"));
    return json;
  }

  static JsonObject awaitState(String runId, String... states) {
    JsonObject[] last = new JsonObject[1];
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      last[0] = new JsonObject(node.get("/v1/runs/" + runId).body());
      return java.util.List.of(states).contains(last[0].getString("state"));
    });
    return last[0];
  }

  @Test
  void a_request_made_async_is_accepted_at_once_then_run_and_its_result_kept() throws Exception {
    JsonObject accepted = submit("/v4/local/hello/predict?async=true&latency_ms=300", "{\"prompt\": \"later\"}");
    String runId = accepted.getString("run_id");

    assertThat(accepted.getString("state")).isEqualTo("queued");
    JsonObject done = awaitState(runId, "succeeded", "failed");
    HttpResponse<String> result = node.get("/v1/runs/" + runId + "/result");

    assertThat(done.getString("state")).isEqualTo("succeeded");
    assertThat(done.getInteger("attempts")).isEqualTo(1);
    assertThat(done.getJsonObject("result").getInteger("status")).isEqualTo(200);
    assertThat(result.statusCode()).isEqualTo(200);
    assertThat(result.headers().firstValue("x-sluice-run-id")).hasValue(runId);
    JsonObject answer = new JsonObject(result.body());
    assertThat(answer.getJsonObject("input").getString("prompt")).isEqualTo("later");
    assertThat(answer.getString("request_id")).as("the replica gets the run id, to tell a repeat").isEqualTo(runId);
  }

  @Test
  void the_run_keeps_method_query_and_headers_but_not_the_callers_credential() throws Exception {
    JsonObject accepted = submit("/v4/local/hello/echo?a=1", "payload", "X-Sluice-Async", "true",
        "X-Custom", "kept");

    awaitState(accepted.getString("run_id"), "succeeded", "failed");
    JsonObject echoed = new JsonObject(node.get("/v1/runs/" + accepted.getString("run_id") + "/result").body());

    assertThat(echoed.getString("method")).isEqualTo("POST");
    assertThat(echoed.getString("query")).isEqualTo("a=1");
    assertThat(echoed.getString("body")).isEqualTo("payload");
    JsonObject headers = echoed.getJsonObject("headers");
    assertThat(headers.getString("x-custom")).isEqualTo("kept");
    assertThat(headers.getString("x-sluice-run-id")).isEqualTo(accepted.getString("run_id"));
    assertThat(headers.getString("authorization")).isNull();
  }

  @Test
  void a_replica_error_is_the_runs_failed_result() throws Exception {
    JsonObject accepted = submit("/v4/local/hello/no-such-route?async=true", "{}");

    JsonObject done = awaitState(accepted.getString("run_id"), "succeeded", "failed");

    assertThat(done.getString("state")).isEqualTo("failed");
    assertThat(done.getJsonObject("result").getInteger("status")).isEqualTo(404);
  }

  @Test
  void a_webhook_gets_the_outcome_signed_with_the_projects_secret_and_is_retried() throws Exception {
    deliveries.clear();
    refuseNext.set(1);
    String hook = "http://127.0.0.1:" + receiver.actualPort() + "/hooks/run-done";

    JsonObject accepted = submit("/v4/local/hello/predict?async=true", "{\"prompt\": \"hook\"}",
        "X-Sluice-Webhook", hook);
    Delivery delivery = deliveries.poll(30, TimeUnit.SECONDS);

    assertThat(delivery).as("a delivery within 30 s").isNotNull();
    assertThat(delivery.runId()).isEqualTo(accepted.getString("run_id"));
    String secret = node.adminJson("/v1/projects/local/webhook-secret").getString("secret");
    long timestamp = Long.parseLong(delivery.signature().substring(2, delivery.signature().indexOf(',')));
    assertThat(delivery.signature()).isEqualTo(Webhooks.signature(secret, timestamp, delivery.body()));
    assertThat(Math.abs(delivery.receivedAtSeconds() - timestamp)).isLessThan(30);
    JsonObject payload = new JsonObject(new String(delivery.body(), StandardCharsets.UTF_8));
    assertThat(payload.getString("state")).isEqualTo("succeeded");
    assertThat(new JsonObject(payload.getJsonObject("result").getString("body")).getJsonObject("input")
        .getString("prompt")).isEqualTo("hook");
    JsonObject run = awaitWebhook(accepted.getString("run_id"));
    assertThat(run.getJsonObject("webhook").getInteger("attempts")).as("refused once, then delivered").isEqualTo(2);
  }

  static JsonObject awaitWebhook(String runId) {
    JsonObject[] last = new JsonObject[1];
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      last[0] = new JsonObject(node.get("/v1/runs/" + runId).body());
      return "delivered".equals(last[0].getJsonObject("webhook").getString("state"));
    });
    return last[0];
  }

  @Test
  void a_running_run_can_be_cancelled() throws Exception {
    JsonObject accepted = submit("/v4/local/hello/predict?async=true&latency_ms=20000", "{}");
    String runId = accepted.getString("run_id");
    awaitState(runId, "running");

    HttpResponse<String> cancel = node.send(node.request("/v1/runs/" + runId).DELETE().build());

    assertThat(cancel.statusCode()).isEqualTo(202);
    JsonObject done = awaitState(runId, "cancelled", "succeeded", "failed");
    assertThat(done.getString("state")).isEqualTo("cancelled");
  }

  @Test
  void the_intake_leaves_a_record_with_the_run_id_and_so_does_the_run_carried_out() throws Exception {
    String body = "{\"prompt\": \"recorded\"}";
    String runId = submit("/v4/local/hello/predict?async=true&n=1", body).getString("run_id");
    awaitState(runId, "succeeded", "failed");
    HttpResponse<String> badHook = node.send(node.request("/v4/local/hello/predict?async=true&hook=bad")
        .header("X-Sluice-Webhook", "ftp://nope").POST(HttpRequest.BodyPublishers.ofString("{}")).build());

    List<JsonObject> records = await().atMost(Duration.ofSeconds(10)).until(() -> recordsOfHello().stream()
        .filter(r -> runId.equals(r.getString("run_id"))).toList(), ofRun -> ofRun.size() == 2);
    JsonObject intake = records.stream().filter(r -> "async".equals(r.getString("kind"))).findFirst().orElseThrow();
    JsonObject carriedOut = records.stream().filter(r -> !"async".equals(r.getString("kind"))).findFirst()
        .orElseThrow();

    assertThat(intake.getInteger("status")).isEqualTo(202);
    assertThat(intake.getString("method")).isEqualTo("POST");
    assertThat(intake.getString("path")).as("as the run will ask for it").isEqualTo("/v4/local/hello/predict?n=1");
    assertThat(intake.getLong("bytes_in")).isEqualTo(body.length());
    assertThat(intake.getString("replica")).isNull();
    assertThat(intake.getString("error")).isNull();
    assertThat(carriedOut.getInteger("status")).isEqualTo(200);
    assertThat(carriedOut.getString("replica")).isNotNull();
    assertThat(badHook.statusCode()).isEqualTo(400);
    assertThat(recordsOfHello()).as("a refused intake is recorded with its error code").anySatisfy(r -> {
      assertThat(r.getString("kind")).isEqualTo("async");
      assertThat(r.getInteger("status")).isEqualTo(400);
      assertThat(r.getString("error")).isEqualTo("bad_webhook");
      assertThat(r.getString("run_id")).isNull();
    });
  }

  static List<JsonObject> recordsOfHello() throws Exception {
    JsonArray records = new JsonObject(node.admin("GET", "/v1/apps/local/hello/requests?limit=1000", null).body())
        .getJsonArray("records");
    return records.stream().map(JsonObject.class::cast).toList();
  }

  @Test
  void bad_requests_get_clear_errors() throws Exception {
    HttpResponse<String> tooBig = node.send(node.request("/v4/local/hello/predict?async=true")
        .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[(16 << 20) + 1])).build());
    HttpResponse<String> badHook = node.send(node.request("/v4/local/hello/predict?async=true")
        .header("X-Sluice-Webhook", "ftp://nope").POST(HttpRequest.BodyPublishers.ofString("{}")).build());
    HttpResponse<String> unknown = node.get("/v1/runs/no-such-run");
    HttpResponse<String> anonymous = node.send(HttpRequest.newBuilder(
        java.net.URI.create(node.publicUrl() + "/v1/runs/no-such-run")).GET().build());

    assertThat(tooBig.statusCode()).isEqualTo(413);
    assertThat(new JsonObject(tooBig.body()).getJsonObject("error").getString("code")).isEqualTo("body_too_large");
    assertThat(badHook.statusCode()).isEqualTo(400);
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(unknown.body()).getJsonObject("error").getString("code")).isEqualTo("run_not_found");
    assertThat(anonymous.statusCode()).isEqualTo(401);
  }
}

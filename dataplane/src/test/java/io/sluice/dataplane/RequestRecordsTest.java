package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.config.ClientLimits;
import io.sluice.dataplane.support.Configs;
import io.sluice.dataplane.support.RawHttp;
import io.sluice.dataplane.support.TestFleet;
import io.sluice.dataplane.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every request leaves a record, those the node refused before they reached an app too, which the admin API of any
 * node of the fleet finds.
 */
class RequestRecordsTest {

  private static final String TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

  @TempDir
  Path temp;

  static JsonArray records(TestNode node, String query) throws Exception {
    HttpResponse<String> answer = node.admin("GET", "/v1/apps/local/hello/requests" + query, null);
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    return new JsonObject(answer.body()).getJsonArray("records");
  }

  static JsonObject record(TestNode node, String requestId) throws Exception {
    JsonObject[] found = new JsonObject[1];
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      JsonArray matching = records(node, "?request_id=" + requestId);
      found[0] = matching.isEmpty() ? null : matching.getJsonObject(0);
      return found[0] != null;
    });
    return found[0];
  }

  @Test
  void a_request_leaves_a_record_with_its_timing_replica_sizes_and_trace() throws Exception {
    try (TestNode node = TestNode.start(temp.resolve("state"))) {
      node.deployAndAwaitReady(TestNode.appFolder(temp, "hello", "cerebrium.toml",
          Configs.cerebrium("hello", 1, 0, "")));

      HttpResponse<String> answered = node.send(node.request("/v4/local/hello/predict?latency_ms=150")
          .header("X-Request-Id", "rec-ok-1").header("traceparent", TRACEPARENT)
          .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"x\"}")).build());
      node.send(node.request("/v4/local/hello/no-such-route").header("X-Request-Id", "rec-404-1").GET().build());
      node.send(node.request("/v4/local/hello/call?path=/v4/local/hello/echo").header("X-Request-Id", "rec-call-1")
          .GET().build());

      JsonObject ok = record(node, "rec-ok-1");
      assertThat(ok.getString("project")).isEqualTo("local");
      assertThat(ok.getString("app")).isEqualTo("hello");
      assertThat(ok.getString("kind")).isEqualTo("http");
      assertThat(ok.getString("method")).isEqualTo("POST");
      assertThat(ok.getString("path")).isEqualTo("/v4/local/hello/predict?latency_ms=150");
      assertThat(ok.getInteger("status")).isEqualTo(200);
      assertThat(ok.getDouble("first_byte_ms")).isGreaterThanOrEqualTo(150.0);
      assertThat(ok.getDouble("latency_ms")).isGreaterThanOrEqualTo(ok.getDouble("first_byte_ms"));
      assertThat(ok.getDouble("held_ms")).isGreaterThanOrEqualTo(0.0).isLessThan(ok.getDouble("latency_ms"));
      assertThat(ok.getString("replica")).startsWith("hello-");
      assertThat(ok.getString("node")).isEqualTo(self(node));
      assertThat(ok.getLong("bytes_in")).isEqualTo(15);
      assertThat(ok.getLong("bytes_out")).isEqualTo(answered.body().length());
      assertThat(ok.getString("traceparent")).isEqualTo(TRACEPARENT);
      assertThat(ok.getString("caller")).isNull();

      JsonArray errors = records(node, "?status=4xx");
      assertThat(errors.stream().map(r -> ((JsonObject) r).getString("request_id"))).contains("rec-404-1")
          .doesNotContain("rec-ok-1");
      JsonObject inner = records(node, "?limit=20").stream().map(r -> (JsonObject) r)
          .filter(r -> "local/hello".equals(r.getString("caller"))).findFirst().orElseThrow();
      assertThat(inner.getString("path")).isEqualTo("/v4/local/hello/echo");
      assertThat(inner.getString("request_id")).as("the caller's id travels on").isEqualTo("rec-call-1");
      assertThat(node.admin("GET", "/v1/requests?status=7xx", null).statusCode()).isEqualTo(400);
      assertThat(node.admin("GET", "/v1/requests?limit=0", null).statusCode()).isEqualTo(400);
    }
  }

  @Test
  void requests_refused_before_they_reach_an_app_leave_records_with_their_error_and_never_a_credential()
      throws Exception {
    try (TestNode node = TestNode.start(TestNode.options(temp.resolve("state"))
        .limits(ClientLimits.defaults().withMaxBodyBytes(1024).withMaxHeaderCount(20)).build())) {
      node.deployAndAwaitReady(TestNode.appFolder(temp, "hello", "cerebrium.toml",
          Configs.cerebrium("hello", 1, 0, "")));
      String bogusKey = "sk_0123456789abcdef_not-a-real-secret";
      URI predict = URI.create(node.publicUrl() + "/v4/local/hello/predict?token=in-the-query");

      Map<String, HttpResponse<String>> answers = new LinkedHashMap<>();
      answers.put("refused-no-key", node.send(HttpRequest.newBuilder(predict).header("X-Request-Id", "refused-no-key")
          .POST(HttpRequest.BodyPublishers.ofString("{}")).build()));
      answers.put("refused-bad-key", node.send(HttpRequest.newBuilder(predict).header("X-Request-Id", "refused-bad-key")
          .header("Authorization", "Bearer " + bogusKey).GET().build()));
      answers.put("refused-no-app", node.send(node.request("/v4/local/nope/predict")
          .header("X-Request-Id", "refused-no-app").GET().build()));
      answers.put("refused-too-big", node.send(node.request("/v4/local/hello/predict")
          .header("X-Request-Id", "refused-too-big").POST(HttpRequest.BodyPublishers.ofString("x".repeat(2048)))
          .build()));
      HttpRequest.Builder manyHeaders = node.request("/v4/local/hello/predict").header("X-Request-Id",
          "refused-many-headers");
      for (int i = 0; i < 25; i++) {
        manyHeaders.header("X-Filler-" + i, "x");
      }
      answers.put("refused-many-headers", node.send(manyHeaders.GET().build()));
      answers.put("served", node.send(node.request("/v4/local/hello/predict").header("X-Request-Id", "served")
          .POST(HttpRequest.BodyPublishers.ofString("{}")).build()));
      String malformed = RawHttp.exchange(node.node().publicPort(), "POST /v4/local/hello/predict HTTP/1.1\r\n"
          + "Host: x\r\n" + node.authLine() + "Content-Length: abc\r\nConnection: close\r\n\r\n");
      String longLine = RawHttp.exchange(node.node().publicPort(), "GET /v4/local/hello/" + "a".repeat(9000)
          + " HTTP/1.1\r\nHost: x\r\n" + node.authLine() + "Connection: close\r\n\r\n");

      Map<String, Integer> statuses = Map.of("refused-no-key", 401, "refused-bad-key", 401, "refused-no-app", 404,
          "refused-too-big", 413, "refused-many-headers", 431, "served", 200);
      statuses.forEach((id, status) -> assertThat(answers.get(id).statusCode()).as(id).isEqualTo(status));
      assertThat(malformed).startsWith("HTTP/1.1 400 ").containsIgnoringCase("x-sluice-error: malformed_request");
      assertThat(longLine).startsWith("HTTP/1.1 414 ").containsIgnoringCase("x-sluice-error: uri_too_long");

      List<JsonObject> refused = new ArrayList<>();
      await().atMost(Duration.ofSeconds(10)).until(() -> {
        refused.clear();
        new JsonObject(node.admin("GET", "/v1/requests?status=4xx&limit=100", null).body()).getJsonArray("records")
            .forEach(record -> refused.add((JsonObject) record));
        return refused.size() >= 7;
      });
      Map<String, JsonObject> byId = new LinkedHashMap<>();
      refused.forEach(record -> byId.put(record.getString("request_id"), record));
      for (String id : List.of("refused-no-key", "refused-bad-key", "refused-no-app", "refused-too-big",
          "refused-many-headers")) {
        JsonObject record = byId.get(id);
        assertThat(record).as(id).isNotNull();
        assertThat(record.getInteger("status")).as(id).isEqualTo(statuses.get(id));
        assertThat(record.getString("error")).as(id)
            .isEqualTo(answers.get(id).headers().firstValue("X-Sluice-Error").orElseThrow());
        assertThat(record.getString("client")).as(id).isEqualTo("127.0.0.1");
        assertThat(record.getString("node")).as(id).isEqualTo(self(node));
        assertThat(record.getString("replica")).as(id).isNull();
        assertThat(record.getString("method")).as(id).isIn("GET", "POST");
      }
      assertThat(byId.get("refused-no-key").getString("path")).as("the query is not kept")
          .isEqualTo("/v4/local/hello/predict");
      assertThat(byId.get("refused-no-key").getString("app")).as("not authorised: no app named").isNull();
      assertThat(byId.get("refused-no-app").getString("app")).isNull();
      assertThat(byId.get("refused-too-big").getString("app")).as("it got as far as its app").isEqualTo("hello");
      JsonObject badRequest = refused.stream().filter(r -> "malformed_request".equals(r.getString("error")))
          .findFirst().orElseThrow();
      assertThat(badRequest.getInteger("status")).isEqualTo(400);
      assertThat(badRequest.getString("path")).isEqualTo("/v4/local/hello/predict");
      JsonObject tooLong = refused.stream().filter(r -> "uri_too_long".equals(r.getString("error")))
          .findFirst().orElseThrow();
      assertThat(tooLong.getInteger("status")).isEqualTo(414);
      assertThat(tooLong.getString("method")).as("its request line was never read").isNull();
      assertThat(tooLong.getString("path")).isNull();
      String everything = node.admin("GET", "/v1/requests?limit=100", null).body();
      assertThat(everything).contains("\"served\"").doesNotContain(bogusKey).doesNotContain(node.apiKey())
          .doesNotContain("in-the-query");
      JsonArray only401 = new JsonObject(node.admin("GET", "/v1/requests?status=401", null).body())
          .getJsonArray("records");
      assertThat(only401.stream().map(r -> ((JsonObject) r).getString("request_id")))
          .containsExactlyInAnyOrder("refused-no-key", "refused-bad-key");
      assertThat(ids(node, "/v1/requests?routed=false&limit=100")).as("refused before an app")
          .contains("refused-no-key", "refused-bad-key", "refused-no-app", "refused-many-headers")
          .doesNotContain("served", "refused-too-big");
      assertThat(ids(node, "/v1/requests?routed=true&limit=100")).contains("served", "refused-too-big")
          .doesNotContain("refused-no-key", "refused-no-app");
      assertThat(records(node, "").stream().map(r -> ((JsonObject) r).getString("request_id")))
          .as("the app's own records: those that reached it").contains("served", "refused-too-big")
          .doesNotContain("refused-no-key", "refused-no-app");
    }
  }

  @Test
  void any_node_finds_the_requests_every_node_served_newest_first() throws Exception {
    try (TestFleet fleet = new TestFleet(temp.resolve("fleet"))) {
      TestNode a = fleet.start(0);
      TestNode b = fleet.start(1);
      firstKey = a.apiKey();
      a.deployAndAwaitReady(TestNode.appFolder(temp, "hello", "cerebrium.toml", Configs.cerebrium("hello", 1, 0, "")));
      await().atMost(Duration.ofSeconds(30)).until(() -> b.node().deployer().app(
          new io.sluice.config.AppId("local", "hello")).isPresent());

      for (int i = 0; i < 3; i++) {
        assertThat(send(a, "via-a-" + i).statusCode()).isEqualTo(200);
        assertThat(send(b, "via-b-" + i).statusCode()).isEqualTo(200);
      }

      JsonObject fromA = new JsonObject(a.admin("GET", "/v1/apps/local/hello/requests?limit=4", null).body());
      JsonArray page = fromA.getJsonArray("records");
      assertThat(fromA.getJsonArray("nodes")).hasSize(2)
          .allSatisfy(n -> assertThat(((JsonObject) n).getBoolean("answered")).isTrue());
      assertThat(page.stream().map(r -> ((JsonObject) r).getString("request_id")))
          .containsExactly("via-b-2", "via-a-2", "via-b-1", "via-a-1");
      assertThat(page.getJsonObject(0).getString("node")).isEqualTo(self(b));
      JsonArray older = new JsonObject(a.admin("GET", "/v1/apps/local/hello/requests?limit=4&before="
          + fromA.getLong("next_before"), null).body()).getJsonArray("records");
      assertThat(older.stream().map(r -> ((JsonObject) r).getString("request_id")))
          .containsExactly("via-b-0", "via-a-0");
    }
  }

  private static HttpResponse<String> send(TestNode node, String requestId) throws Exception {
    HttpResponse<String> answer = node.send(HttpRequest.newBuilder(URI.create(node.publicUrl()
            + "/v4/local/hello/predict")).header("Authorization", "Bearer " + firstKey)
        .header("X-Request-Id", requestId).POST(HttpRequest.BodyPublishers.ofString("{}")).build());
    // Records are ordered by their start, to the millisecond: keep the test's requests apart.
    long until = System.currentTimeMillis() + 2;
    while (System.currentTimeMillis() < until) {
      Thread.onSpinWait();
    }
    return answer;
  }

  private static List<String> ids(TestNode node, String path) throws Exception {
    return new JsonObject(node.admin("GET", path, null).body()).getJsonArray("records").stream()
        .map(r -> ((JsonObject) r).getString("request_id")).toList();
  }

  private static String firstKey;

  /** The node's id in the fleet. */
  private static String self(TestNode node) {
    return node.node().fleetJson().getJsonArray("members").stream().map(m -> (JsonObject) m)
        .filter(m -> m.getBoolean("local")).findFirst().orElseThrow().getString("id");
  }
}

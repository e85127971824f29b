package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.dataplane.support.Configs;
import io.sluice.dataplane.support.RawHttp;
import io.sluice.dataplane.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real client, through a real node, to real replica processes started from both config formats. */
class ProxyEndToEndTest {

  @TempDir
  static Path temp;

  static TestNode node;

  @BeforeAll
  static void startNodeWithApps() throws Exception {
    node = TestNode.start(temp.resolve("state"));
    node.deployAndAwaitReady(TestNode.appFolder(temp, "hello", "cerebrium.toml",
        Configs.cerebrium("hello", 1, 0, "")));
    node.deployAndAwaitReady(TestNode.appFolder(temp, "hello-truss", "config.yaml",
        Configs.truss("hello-truss", "")));
    node.deployAndAwaitReady(TestNode.appFolder(temp, "slow", "cerebrium.toml",
        Configs.cerebrium("slow", 1, 0, "[sluice]\nrequest_timeout = 1\n")));
  }

  @AfterAll
  static void stopNode() throws Exception {
    node.close();
  }

  @Test
  void cerebrium_app_answers_through_the_node_and_keeps_the_callers_request_id() throws Exception {
    HttpResponse<String> response = node.send(node.request("/v4/local/hello/predict")
        .header("X-Request-Id", "run-1234")
        .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"hi\"}")).build());

    assertThat(response.statusCode()).isEqualTo(200);
    JsonObject body = new JsonObject(response.body());
    assertThat(body.getJsonObject("input").getString("prompt")).isEqualTo("hi");
    assertThat(body.getString("request_id")).isEqualTo("run-1234");
    assertThat(response.headers().firstValue("X-Request-Id")).hasValue("run-1234");
  }

  @Test
  void a_request_without_an_id_gets_a_uuid_that_the_replica_and_the_client_both_see() throws Exception {
    HttpResponse<String> response = node.post("/v4/local/hello/predict", "{}");

    String returned = response.headers().firstValue("X-Request-Id").orElseThrow();
    assertThat(returned).matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    assertThat(new JsonObject(response.body()).getString("request_id")).isEqualTo(returned);
  }

  @Test
  void truss_predict_goes_to_the_predict_endpoint_and_sync_to_any_route() throws Exception {
    HttpResponse<String> predict = node.post("/v4/local/hello-truss/predict", "{\"x\": 1}");
    HttpResponse<String> production = node.post("/v4/local/hello-truss/environments/production/predict", "{}");
    HttpResponse<String> sync = node.get("/v4/local/hello-truss/sync/echo?a=1");

    assertThat(predict.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(predict.body()).getJsonObject("input").getInteger("x")).isEqualTo(1);
    assertThat(production.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(production.body()).getString("prediction")).startsWith("hello from");
    JsonObject echoed = new JsonObject(sync.body());
    assertThat(echoed.getString("path")).isEqualTo("/echo");
    assertThat(echoed.getString("query")).isEqualTo("a=1");
  }

  @Test
  void method_query_headers_and_body_pass_through() throws Exception {
    HttpResponse<String> response = node.send(node.request("/v4/local/hello/echo?b=2&a=%20x")
        .header("X-Custom", "kept")
        .method("PATCH", HttpRequest.BodyPublishers.ofString("patched body")).build());

    JsonObject echoed = new JsonObject(response.body());
    assertThat(echoed.getString("method")).isEqualTo("PATCH");
    assertThat(echoed.getString("query")).isEqualTo("b=2&a=%20x");
    assertThat(echoed.getString("body")).isEqualTo("patched body");
    JsonObject headers = echoed.getJsonObject("headers");
    assertThat(headers.getString("x-custom")).isEqualTo("kept");
    assertThat(headers.getString("authorization")).as("the caller's key stays with Sluice").isNull();
    assertThat(headers.getString("x-forwarded-for")).isEqualTo("127.0.0.1");
    assertThat(headers.getString("x-forwarded-proto")).isEqualTo("http");
  }

  @Test
  void hop_by_hop_headers_and_those_named_in_connection_are_not_forwarded() throws Exception {
    String answer = RawHttp.exchange(node.node().publicPort(), """
        GET /v4/local/hello/echo HTTP/1.1\r
        Host: localhost\r
        Authorization: Bearer %s\r
        Connection: close\r
        Connection: X-Drop-Me\r
        X-Drop-Me: secret-hop\r
        Keep-Alive: timeout=5\r
        Proxy-Authorization: Basic abc\r
        X-Keep-Me: yes\r
        \r
        """.formatted(node.apiKey()));

    assertThat(answer).startsWith("HTTP/1.1 200");
    JsonObject headers = new JsonObject(answer.substring(answer.indexOf("\r\n\r\n") + 4)).getJsonObject("headers");
    assertThat(headers.getString("x-keep-me")).isEqualTo("yes");
    assertThat(headers.fieldNames()).doesNotContain("x-drop-me", "keep-alive", "proxy-authorization");
  }

  @Test
  void a_large_body_streams_to_the_replica_and_back() throws Exception {
    String big = "0123456789abcdef".repeat(128 * 1024);

    HttpResponse<String> response = node.post("/v4/local/hello/echo", big);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(new JsonObject(response.body()).getString("body")).isEqualTo(big);
  }

  @Test
  void an_unknown_app_is_404_with_a_json_error() throws Exception {
    HttpResponse<String> response = node.get("/v4/local/nope/predict");

    assertThat(response.statusCode()).isEqualTo(404);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonObject error = new JsonObject(response.body()).getJsonObject("error");
    assertThat(error.getString("code")).isEqualTo("app_not_found");
    assertThat(error.getString("request_id")).isEqualTo(response.headers().firstValue("X-Request-Id").orElseThrow());
  }

  @Test
  void dot_segments_are_refused_before_they_reach_a_replica() throws Exception {
    for (String path : new String[] {"/v4/local/hello/../other/predict", "/v4/local/hello/a/%2e%2e/b",
        "/v4/local/hello/a%2fb"}) {
      String answer = RawHttp.exchange(node.node().publicPort(),
          "GET " + path + " HTTP/1.1\r\nHost: localhost\r\n" + node.authLine() + "Connection: close\r\n\r\n");

      assertThat(answer).as(path).startsWith("HTTP/1.1 400").contains("\"bad_path\"");
    }
  }

  @Test
  void a_replica_slower_than_the_apps_timeout_gets_504() throws Exception {
    HttpResponse<String> response = node.post("/v4/local/slow/predict?latency_ms=3000", "{}");

    assertThat(response.statusCode()).isEqualTo(504);
    assertThat(new JsonObject(response.body()).getJsonObject("error").getString("code"))
        .isEqualTo("replica_timeout");
  }

  @Test
  void app_paths_work_for_any_number_of_apps_without_crossing_over() throws Exception {
    HttpResponse<String> hello = node.get("/v4/local/hello/echo");
    HttpResponse<String> truss = node.get("/v4/local/hello-truss/sync/echo");

    assertThat(new JsonObject(hello.body()).getString("replica")).matches("hello-[0-9]+");
    assertThat(new JsonObject(truss.body()).getString("replica")).matches("hello-truss-[0-9]+");
  }
}

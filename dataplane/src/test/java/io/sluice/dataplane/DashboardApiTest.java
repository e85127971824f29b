package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.dataplane.support.Configs;
import io.sluice.dataplane.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the dashboard's page reads from the admin API: the sign-in cookie, the live feed, the cold starts. */
class DashboardApiTest {

  @TempDir
  Path temp;

  @Test
  void sign_in_live_feed_and_cold_starts() throws Exception {
    try (TestNode node = TestNode.start(temp.resolve("state"))) {
      node.deploy(TestNode.appFolder(temp, "cold", "cerebrium.toml", Configs.cerebrium("cold", 0, 0.5, "")));

      HttpResponse<String> wrong = session(node, "not-the-token");
      HttpResponse<String> right = session(node, node.adminToken());
      String cookie = right.headers().firstValue("set-cookie").orElseThrow();
      HttpResponse<String> page = node.send(HttpRequest.newBuilder(URI.create(node.adminUrl() + "/dashboard/"))
          .GET().build());
      HttpResponse<String> withCookie = node.send(HttpRequest.newBuilder(URI.create(node.adminUrl() + "/v1/fleet"))
          .header("Cookie", cookie.substring(0, cookie.indexOf(';'))).GET().build());

      assertThat(wrong.statusCode()).isEqualTo(401);
      assertThat(right.statusCode()).isEqualTo(204);
      assertThat(cookie).contains("sluice_admin=").containsIgnoringCase("HttpOnly").contains("SameSite=Strict");
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.body()).contains("/webjars/chart.js/");
      assertThat(withCookie.statusCode()).isEqualTo(200);

      assertThat(node.post("/v4/local/cold/predict", "{}").statusCode()).as("woken from zero").isEqualTo(200);
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(node.adminJson("/v1/cold-starts")
          .getJsonObject("apps").getInteger("local/cold")).isEqualTo(1));

      HttpResponse<InputStream> live = node.http().send(HttpRequest.newBuilder(URI.create(node.adminUrl()
              + "/v1/apps/local/cold/live")).header("Authorization", "Bearer " + node.adminToken()).GET().build(),
          HttpResponse.BodyHandlers.ofInputStream());
      assertThat(live.headers().firstValue("content-type")).hasValue("text/event-stream");
      try (BufferedReader events = new BufferedReader(new InputStreamReader(live.body(), StandardCharsets.UTF_8))) {
        // Pushed every second: within ten ticks one shows the replica ready and the request that woke it.
        int ticks = 0;
        JsonObject tick = null;
        for (String line; ticks < 10 && (line = events.readLine()) != null; ) {
          if (line.startsWith("data: ")) {
            ticks++;
            tick = new JsonObject(line.substring("data: ".length()));
            if (tick.getJsonObject("scaling").getInteger("ready", 0) == 1) {
              break;
            }
          }
        }
        assertThat(tick).isNotNull();
        assertThat(tick.getJsonObject("scaling").getInteger("ready")).isEqualTo(1);
        assertThat(tick.getJsonObject("requests").getInteger("sampled")).isEqualTo(1);
      }
    }
  }

  private static HttpResponse<String> session(TestNode node, String token) throws Exception {
    return node.send(HttpRequest.newBuilder(URI.create(node.adminUrl() + "/session"))
        .POST(HttpRequest.BodyPublishers.ofString(new JsonObject().put("token", token).encode())).build());
  }
}

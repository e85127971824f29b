package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.dataplane.support.Configs;
import io.sluice.dataplane.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An app that turns payload capture on keeps the start of its bodies with its records, credentials redacted. */
class PayloadCaptureTest {

  private static final String SECRET = "s3cr3t-value-123";

  @TempDir
  Path temp;

  @Test
  void captured_bodies_and_headers_are_kept_bounded_and_redacted() throws Exception {
    try (TestNode node = TestNode.start(temp.resolve("state"))) {
      assertThat(node.admin("PUT", "/v1/projects/local/secrets/api-token", SECRET).statusCode()).isLessThan(300);
      node.deployAndAwaitReady(TestNode.appFolder(temp, "captured", "cerebrium.toml", Configs.cerebrium("captured", 1,
          0, "[sluice]\ncapture_payloads = true\ncapture_payload_bytes = 64\n")));
      node.deployAndAwaitReady(TestNode.appFolder(temp, "plain", "cerebrium.toml", Configs.cerebrium("plain", 1, 0,
          "")));

      String body = "{\"prompt\": \"uses " + SECRET + "\"}";
      node.send(node.request("/v4/local/captured/echo").header("X-Request-Id", "cap-text")
          .header("Cookie", "session=abc").header("X-Custom", "kept")
          .POST(HttpRequest.BodyPublishers.ofString(body)).build());
      byte[] binary = new byte[256];
      for (int i = 0; i < binary.length; i++) {
        binary[i] = (byte) i;
      }
      node.send(node.request("/v4/local/captured/echo").header("X-Request-Id", "cap-binary")
          .POST(HttpRequest.BodyPublishers.ofByteArray(binary)).build());
      node.send(node.request("/v4/local/plain/echo").header("X-Request-Id", "cap-none")
          .POST(HttpRequest.BodyPublishers.ofString(body)).build());

      JsonObject text = record(node, "captured", "cap-text").getJsonObject("payload");
      JsonObject request = text.getJsonObject("request");
      assertThat(request.getJsonObject("headers").getString("authorization")).isEqualTo("[redacted]");
      assertThat(request.getJsonObject("headers").getString("cookie")).isEqualTo("[redacted]");
      assertThat(request.getJsonObject("headers").getString("x-custom")).isEqualTo("kept");
      assertThat(request.getString("body")).isEqualTo("{\"prompt\": \"uses [redacted]\"}");
      assertThat(request.getLong("body_bytes")).isEqualTo(body.length());
      assertThat(request.getBoolean("truncated")).isFalse();
      JsonObject response = text.getJsonObject("response");
      assertThat(response.getString("body")).hasSizeLessThanOrEqualTo(64).doesNotContain(SECRET);
      assertThat(response.getBoolean("truncated")).as("the echo is longer than 64 bytes").isTrue();
      assertThat(response.getLong("body_bytes")).isGreaterThan(64);
      assertThat(text.encode()).doesNotContain(SECRET).doesNotContain(node.apiKey());

      JsonObject binaryPayload = record(node, "captured", "cap-binary").getJsonObject("payload");
      assertThat(binaryPayload.getJsonObject("request").getBoolean("binary")).isTrue();
      assertThat(binaryPayload.getJsonObject("request").containsKey("body")).isFalse();
      assertThat(binaryPayload.getJsonObject("request").getLong("body_bytes")).isEqualTo(256);

      assertThat(record(node, "plain", "cap-none").getJsonObject("payload")).isNull();
    }
  }

  private static JsonObject record(TestNode node, String app, String requestId) {
    JsonObject[] found = new JsonObject[1];
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      JsonArray records = node.adminJson("/v1/apps/local/" + app + "/requests?request_id=" + requestId)
          .getJsonArray("records");
      found[0] = records.isEmpty() ? null : records.getJsonObject(0);
      return found[0] != null;
    });
    return found[0];
  }
}

package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.config.AppId;
import io.sluice.dataplane.apps.AppState;
import io.sluice.dataplane.apps.DeployedApp;
import io.sluice.dataplane.support.Configs;
import io.sluice.dataplane.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replicas' stdout and stderr through a real node: stamped lines on disk, followed live as server-sent events, and
 * still readable once the replica is gone.
 */
class ReplicaLogsEndToEndTest {

  private static final Pattern TIME = Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");

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

  /** A follower of an app's logs through the admin API, reading events on a thread of its own. */
  static final class Follower implements AutoCloseable {
    final List<JsonObject> lines = new CopyOnWriteArrayList<>();
    final HttpResponse<Stream<String>> response;

    Follower(String path) throws Exception {
      response = node.http().send(HttpRequest.newBuilder(URI.create(node.adminUrl() + path))
          .header("Authorization", "Bearer " + node.adminToken()).GET().build(), HttpResponse.BodyHandlers.ofLines());
      Thread reader = new Thread(() -> {
        StringBuilder data = new StringBuilder();
        try {
          response.body().forEach(line -> {
            if (line.startsWith("data: ")) {
              data.append(line.substring(6));
            } else if (line.isEmpty() && data.length() > 0) {
              lines.add(new JsonObject(data.toString()));
              data.setLength(0);
            }
          });
        } catch (RuntimeException closed) {
          // The test closed the stream.
        }
      }, "test-follower");
      reader.setDaemon(true);
      reader.start();
    }

    List<String> texts() {
      return lines.stream().map(line -> line.getString("text")).toList();
    }

    @Override
    public void close() {
      response.body().close();
    }
  }

  private static String print(String app, String text, String stream) throws Exception {
    HttpResponse<String> printed = node.get("/v4/local/" + app + "/control/print?stream=" + stream + "&text="
        + URLEncoder.encode(text, StandardCharsets.UTF_8));
    assertThat(printed.statusCode()).isEqualTo(200);
    return new JsonObject(printed.body()).getString("replica");
  }

  @Test
  void a_line_the_replica_prints_reaches_a_follower_within_seconds_stamped_with_its_stream() throws Exception {
    node.deployAndAwaitReady(TestNode.appFolder(temp, "chatty", "cerebrium.toml",
        Configs.cerebrium("chatty", 1, 0, "")));
    try (Follower follower = new Follower("/v1/apps/local/chatty/logs?follow=true&tail=5")) {
      assertThat(follower.response.statusCode()).isEqualTo(200);
      assertThat(follower.response.headers().firstValue("Content-Type")).hasValueSatisfying(type ->
          assertThat(type).startsWith("text/event-stream"));

      String replica = print("chatty", "loaded the model in 1.5 s", "stdout");
      print("chatty", "warning: fp16 is slow on this GPU", "stderr");

      await().atMost(Duration.ofSeconds(5)).until(() ->
          follower.texts().contains("warning: fp16 is slow on this GPU"));
      JsonObject out = follower.lines.stream()
          .filter(line -> line.getString("text").equals("loaded the model in 1.5 s")).findFirst().orElseThrow();
      assertThat(out.getString("replica")).isEqualTo(replica);
      assertThat(out.getString("stream")).isEqualTo("stdout");
      assertThat(out.getString("time")).matches(TIME);
      assertThat(Duration.between(Instant.parse(out.getString("time")), Instant.now()).abs())
          .isLessThan(Duration.ofSeconds(10));
      assertThat(follower.lines).filteredOn(line -> line.getString("text").startsWith("warning: fp16"))
          .singleElement().satisfies(line -> assertThat(line.getString("stream")).isEqualTo("stderr"));
      // The tail came first, once: the replica's start, as the node noted it.
      assertThat(follower.lines.get(0).getString("text")).isNotEqualTo("loaded the model in 1.5 s");
      assertThat(follower.texts()).doesNotHaveDuplicates();
    }

    String stored = node.admin("GET", "/v1/apps/local/chatty/logs", null).body();
    assertThat(stored).containsPattern(TIME + " stdout loaded the model in 1\\.5 s\n")
        .containsPattern(TIME + " stderr warning: fp16 is slow on this GPU\n")
        .containsPattern(TIME + " sluice start #1 on port \\d+: .*python3 main.py --host 0.0.0.0 --port \\d+\n")
        .doesNotContain("sluice starting: starting\n");
  }

  @Test
  void a_replica_that_starts_while_the_app_is_followed_joins_the_stream() throws Exception {
    // The app's first replica comes up at deploy (initial scale): it is then crashed while the app is followed, and
    // the process the node starts in its place must show up in the stream.
    DeployedApp app = node.deployAndAwaitReady(TestNode.appFolder(temp, "sleepy", "cerebrium.toml",
        Configs.cerebrium("sleepy", 0, 0, "")));
    String replica = app.replicas().get(0).id().name();
    try (Follower follower = new Follower("/v1/apps/local/sleepy/logs?follow=true")) {
      assertThat(follower.response.statusCode()).isEqualTo(200);

      node.post("/v4/local/sleepy/control/crash", "{}");

      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        List<String> texts = follower.texts();
        int restarted = -1;
        for (int i = 0; i < texts.size() && restarted < 0; i++) {
          restarted = texts.get(i).startsWith("start #2 on port") ? i : -1;
        }
        assertThat(restarted).as("the node's note of the second start, in the stream").isNotNegative();
        assertThat(texts.subList(restarted, texts.size()))
            .anySatisfy(text -> assertThat(text).startsWith("listening on 0.0.0.0:"));
      });
      assertThat(follower.lines).allSatisfy(line -> assertThat(line.getString("replica")).isEqualTo(replica));
    }
  }

  @Test
  void the_last_lines_of_a_replica_that_crashed_at_start_stay_readable_after_it_is_gone() throws Exception {
    DeployedApp app = node.deploy(TestNode.appFolder(temp, "doomed", "cerebrium.toml", """
        [cerebrium.deployment]
        name = "doomed"

        [cerebrium.runtime.custom]
        port = 5000
        entrypoint = ["python3", "-c", "print('loading weights', flush=True); raise RuntimeError('CUDA out of memory')"]
        """));
    node.awaitState(app.spec().id(), AppState.FAILED);

    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      String stored = node.admin("GET", "/v1/apps/local/doomed/logs?tail=50", null).body();
      assertThat(stored).containsPattern(TIME + " stdout loading weights\n")
          .containsPattern(TIME + " stderr Traceback \\(most recent call last\\):\n")
          .containsPattern(TIME + " stderr RuntimeError: CUDA out of memory\n")
          .containsPattern(TIME + " sluice restarting: exited with code 1; starting again in \\d+ ms\n")
          .containsPattern(TIME + " sluice start #2 on port")
          .containsPattern(TIME + " sluice failed: exited with code 1; gave up after 2 starts");
    });
    try (Follower follower = new Follower("/v1/apps/local/doomed/logs?follow=true&tail=50")) {
      await().atMost(Duration.ofSeconds(5)).until(() -> follower.texts().contains("RuntimeError: CUDA out of memory"));
    }
  }

  @Test
  void a_replica_killed_for_failing_its_liveness_probe_leaves_its_last_lines_and_why_after_undeploy()
      throws Exception {
    AppId id = new AppId("local", "sickly");
    DeployedApp app = node.deployAndAwaitReady(TestNode.appFolder(temp, "sickly", "cerebrium.toml",
        Configs.cerebrium("sickly", 1, 0, "")));
    String replica = print("sickly", "about to go wrong", "stdout");
    String direct = "http://127.0.0.1:" + app.replicas().get(0).endpoint().orElseThrow().port();

    node.send(HttpRequest.newBuilder(URI.create(direct + "/control/healthy?value=false")).GET().build());
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      JsonObject restarted = node.adminJson("/v1/apps/local/sickly").getJsonArray("replicas").getJsonObject(0);
      return restarted.getInteger("restarts") == 1 && restarted.getString("state").equals("ready");
    });
    node.admin("DELETE", "/v1/apps/local/sickly", null);
    await().atMost(Duration.ofSeconds(20)).until(() -> node.node().deployer().app(id).isEmpty());

    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      HttpResponse<String> stored = node.admin("GET", "/v1/apps/local/sickly/logs?tail=100&replica=" + replica,
          null);
      assertThat(stored.statusCode()).isEqualTo(200);
      assertThat(stored.body()).containsPattern(TIME + " stdout about to go wrong\n")
          .containsPattern(TIME + " sluice restarting: failed 2 liveness probes in a row")
          .containsPattern(TIME + " sluice start #2 on port")
          .containsPattern(TIME + " sluice stopped: stopped\n");
    });
  }

  @Test
  void a_follower_that_does_not_read_loses_lines_beyond_its_buffer_and_is_told_how_many() throws Exception {
    node.deployAndAwaitReady(TestNode.appFolder(temp, "flood", "cerebrium.toml",
        Configs.cerebrium("flood", 1, 0, "")));
    String text = "y".repeat(200);
    int count = 50_000;
    try (Socket socket = new Socket()) {
      socket.setReceiveBufferSize(4096);
      socket.connect(new InetSocketAddress("127.0.0.1", node.node().adminPort()));
      socket.setSoTimeout(200);
      socket.getOutputStream().write(("GET /v1/apps/local/flood/logs?follow=true&tail=0 HTTP/1.1\r\nHost: admin\r\n"
          + "Authorization: Bearer " + node.adminToken() + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream received = new ByteArrayOutputStream();
      await().atMost(Duration.ofSeconds(5)).until(() -> readSome(in, received).contains("\r\n\r\n"));
      assertThat(received.toString(StandardCharsets.ISO_8859_1)).startsWith("HTTP/1.1 200");

      // Printed while the follower reads nothing: far more than its buffer and the sockets' hold.
      assertThat(node.get("/v4/local/flood/control/print?count=" + count + "&text=" + text).statusCode())
          .isEqualTo(200);

      long[] seen = new long[2];
      await().atMost(Duration.ofSeconds(30)).until(() -> {
        String events = readSome(in, received);
        seen[0] = count(events, "\"text\":\"" + text + "\"");
        seen[1] = droppedIn(events);
        return seen[0] + seen[1] >= count;
      });
      assertThat(seen[1]).as("lines said to be dropped").isPositive();
      assertThat(seen[0]).as("lines received").isPositive().isLessThan(count);
    }
  }

  @Test
  void followers_that_leave_make_room_for_others_and_an_unknown_app_cannot_be_followed() throws Exception {
    node.deployAndAwaitReady(TestNode.appFolder(temp, "watched", "cerebrium.toml",
        Configs.cerebrium("watched", 1, 0, "")));

    // Twice as many followers as a node serves at once, one after the other, each leaving by closing its connection.
    for (int i = 0; i < 2 * 32; i++) {
      await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(10)).until(() -> {
        try (Socket socket = new Socket("127.0.0.1", node.node().adminPort())) {
          socket.setSoTimeout(5000);
          socket.getOutputStream().write(("GET /v1/apps/local/watched/logs?follow=true&tail=0 HTTP/1.1\r\n"
              + "Host: admin\r\nAuthorization: Bearer " + node.adminToken() + "\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
          StringBuilder head = new StringBuilder();
          InputStream in = socket.getInputStream();
          while (head.indexOf("\r\n\r\n") < 0) {
            int b = in.read();
            if (b < 0) {
              break;
            }
            head.append((char) b);
          }
          return head.toString().startsWith("HTTP/1.1 200");
        }
      });
    }

    HttpResponse<String> unknown = node.admin("GET", "/v1/apps/local/nobody/logs?follow=true", null);
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(unknown.body()).getJsonObject("error").getString("code")).isEqualTo("no_logs");
  }

  /** Reads what has arrived (waiting 200 ms at most) and answers all that was received so far. */
  private static String readSome(InputStream in, ByteArrayOutputStream received) throws Exception {
    byte[] buffer = new byte[1 << 16];
    try {
      for (int n = in.read(buffer); n > 0; n = in.available() > 0 ? in.read(buffer) : 0) {
        received.write(buffer, 0, n);
      }
    } catch (SocketTimeoutException nothingYet) {
      // Answered below with what there is.
    }
    return received.toString(StandardCharsets.ISO_8859_1);
  }

  private static long count(String haystack, String needle) {
    long found = 0;
    for (int at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + needle.length())) {
      found++;
    }
    return found;
  }

  private static long droppedIn(String events) {
    Matcher dropped = Pattern.compile("event: dropped\ndata: \\{\"dropped\":(\\d+)").matcher(events);
    long total = 0;
    while (dropped.find()) {
      total += Long.parseLong(dropped.group(1));
    }
    return total;
  }
}

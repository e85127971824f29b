package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.dataplane.support.Configs;
import io.sluice.dataplane.support.NodeProcess;
import io.sluice.dataplane.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No accepted run is lost: 200 asynchronous runs accepted by three nodes, each in a JVM of its own, and one node
 * killed with SIGKILL while they run; every run still completes, with its own input, the ones the dead node was
 * running taken up again by the others once their leases ran out.
 */
class AsyncRunsFleetTest {

  private static final String TOKEN = "runs-fleet-admin-token";
  private static final int RUNS = 200;
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir
  Path temp;

  private final String fleetName = "runs-" + UUID.randomUUID();
  private final List<NodeProcess> nodes = new ArrayList<>();

  @AfterEach
  void stopAll(org.junit.jupiter.api.TestInfo test) throws Exception {
    for (NodeProcess node : nodes) {
      node.kill();
    }
    Path kept = Path.of("target", "fleet-process-logs", test.getTestMethod().orElseThrow().getName());
    Files.createDirectories(kept);
    try (var logs = Files.list(temp)) {
      for (Path log : logs.filter(file -> file.toString().endsWith(".log")).toList()) {
        Files.copy(log, kept.resolve(log.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  @Test
  void every_accepted_run_completes_when_a_node_dies_midway() throws Exception {
    Path apps = temp.resolve("apps");
    TestNode.appFolder(apps, "hello", "cerebrium.toml", Configs.cerebrium("hello", 2, 0, ""));
    for (int n = 0; n < 3; n++) {
      List<String> extra = new ArrayList<>(List.of("--run-lease", "PT2S"));
      if (n == 0) {
        extra.addAll(List.of("--apps", apps.toString()));
      }
      nodes.add(NodeProcess.start(temp.resolve("node-" + n), fleetName,
          nodes.stream().map(NodeProcess::fleetPort).toList(), TOKEN, extra));
    }
    String key = nodes.get(0).apiKey();
    for (NodeProcess node : nodes) {
      await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
          .until(() -> send(node, key, "POST", "/v4/local/hello/predict", "{}").statusCode() == 200);
    }

    Map<String, Integer> inputs = new HashMap<>();
    List<CompletableFuture<HttpResponse<String>>> submitted = new ArrayList<>();
    for (int i = 0; i < RUNS; i++) {
      submitted.add(HTTP.sendAsync(request(nodes.get(i % 3), key, "POST",
          "/v4/local/hello/predict?async=true&latency_ms=1000", "{\"n\": " + i + "}"),
          HttpResponse.BodyHandlers.ofString()));
    }
    for (int i = 0; i < RUNS; i++) {
      HttpResponse<String> accepted = submitted.get(i).get();
      assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
      inputs.put(new JsonObject(accepted.body()).getString("run_id"), i);
    }

    NodeProcess survivor = nodes.get(0);
    await().atMost(Duration.ofSeconds(60)).until(() -> finished(survivor, key, inputs.keySet()).size() >= 40);
    nodes.get(1).kill();

    Map<String, JsonObject> done = new HashMap<>();
    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).until(() -> {
      List<String> pending = inputs.keySet().stream().filter(id -> !done.containsKey(id)).toList();
      done.putAll(finished(survivor, key, pending));
      return done.size() == RUNS;
    });

    assertThat(done.values()).allSatisfy(run -> assertThat(run.getString("state")).isEqualTo("succeeded"));
    for (Map.Entry<String, Integer> run : inputs.entrySet()) {
      JsonObject answer = new JsonObject(send(survivor, key, "GET", "/v1/runs/" + run.getKey() + "/result", null)
          .body());
      assertThat(answer.getJsonObject("input").getInteger("n")).isEqualTo(run.getValue());
    }
    long rerun = done.values().stream().filter(run -> run.getInteger("attempts") > 1).count();
    assertThat(rerun).as("runs the dead node was running, taken up again").isPositive();
  }

  /** The runs among {@code ids} that are over, by id. */
  private static Map<String, JsonObject> finished(NodeProcess node, String key, java.util.Collection<String> ids)
      throws Exception {
    Map<String, JsonObject> over = new HashMap<>();
    for (String id : ids) {
      HttpResponse<String> status = send(node, key, "GET", "/v1/runs/" + id, null);
      if (status.statusCode() == 200) {
        JsonObject run = new JsonObject(status.body());
        if (List.of("succeeded", "failed", "cancelled").contains(run.getString("state"))) {
          over.put(id, run);
        }
      }
    }
    return over;
  }

  private static HttpResponse<String> send(NodeProcess node, String key, String method, String path, String body)
      throws Exception {
    return HTTP.send(request(node, key, method, path, body), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpRequest request(NodeProcess node, String key, String method, String path, String body) {
    return HttpRequest.newBuilder(URI.create(node.publicUrl() + path)).header("Authorization", "Bearer " + key)
        .timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .build();
  }
}

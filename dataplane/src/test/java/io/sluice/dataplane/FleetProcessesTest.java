package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.dataplane.support.Configs;
import io.sluice.dataplane.support.NodeProcess;
import io.sluice.dataplane.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet of nodes, each in a JVM of its own on loopback, as they run in production: the load taken by every node is
 * merged into one decision, a node that joins takes its share of the deciding, and a decider killed with SIGKILL is
 * replaced without duplicate replicas and without an error for the clients of the nodes that survive.
 */
class FleetProcessesTest {

  private static final String APP = "local/busy";
  private static final int WINDOW_SECONDS = 10;
  private static final int IDLE_APPS = 20;
  private static final String TOKEN = "fleet-test-admin-token";

  @TempDir
  Path temp;

  private final String fleetName = "procs-" + UUID.randomUUID();
  private final List<NodeProcess> nodes = new ArrayList<>();
  private final List<Load> loads = new ArrayList<>();

  @AfterEach
  void stopAll(org.junit.jupiter.api.TestInfo test) throws Exception {
    loads.forEach(Load::stop);
    for (NodeProcess node : nodes) {
      node.kill();
    }
    // The nodes' logs outlive the temporary folder, for a run that failed.
    Path kept = Path.of("target", "fleet-process-logs", test.getTestMethod().orElseThrow().getName());
    java.nio.file.Files.createDirectories(kept);
    try (var logs = java.nio.file.Files.list(temp)) {
      for (Path log : logs.filter(file -> file.toString().endsWith(".log")).toList()) {
        java.nio.file.Files.copy(log, kept.resolve(log.getFileName()),
            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  @Test
  void three_nodes_decide_as_one_from_the_merged_load_and_a_fourth_takes_a_share_of_the_deciding() throws Exception {
    Path apps = appsFolder(1, 4);
    startNodes(3, apps);
    for (NodeProcess node : nodes) {
      loads.add(Load.start(node, nodes.get(0).apiKey(), node == nodes.get(2) ? 1 : 2));
    }

    // 5 clients, each with a 300 ms request in flight almost all the time: about 4.9 requests in flight, which the
    // Knative policy, at 2 per replica, answers with 3 replicas.
    NodeProcess first = nodes.get(0);
    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1))
        .until(() -> metrics(first).getJsonObject("replicas").getInteger("ready") == 3);

    Truth truth = new Truth(first);
    JsonObject[] seen = new JsonObject[1];
    double[] truthSeen = new double[1];
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
      double actual = truth.sample().orElseThrow(() -> new AssertionError("no full window yet"));
      JsonObject metrics = metrics(nodes.get((int) (System.nanoTime() % 3)));
      seen[0] = metrics;
      truthSeen[0] = actual;
      double merged = metrics.getJsonObject("fleet").getJsonObject("concurrency").getDouble("stable");
      assertThat(merged).as("merged concurrency %s against %s counted in the replicas", merged, actual)
          .isBetween(actual * 0.9, actual * 1.1);
    });

    JsonObject metrics = seen[0];
    System.out.printf("merged concurrency %.3f, counted in the replicas %.3f%n",
        metrics.getJsonObject("fleet").getJsonObject("concurrency").getDouble("stable"), truthSeen[0]);
    double target = metrics.getDouble("target_per_replica");
    int desired = metrics.getJsonObject("replicas").getInteger("desired");
    assertThat(desired).as("what one node would want for the true load (%s at %s per replica)", truthSeen[0], target)
        .isBetween((int) Math.ceil(truthSeen[0] * 0.95 / target), (int) Math.ceil(truthSeen[0] * 1.05 / target));
    JsonArray perNode = metrics.getJsonArray("nodes");
    assertThat(perNode).as("every node took load").hasSize(3);
    for (int i = 0; i < perNode.size(); i++) {
      assertThat(perNode.getJsonObject(i).getJsonObject("concurrency").getDouble("stable")).isGreaterThan(0.5);
    }

    NodeProcess fourth = startNode(nodes.size(), null);
    loads.add(Load.start(fourth, first.apiKey(), 1));
    Set<String> all = new HashSet<>();
    all.add(APP);
    for (int i = 0; i < IDLE_APPS; i++) {
      all.add("local/idle-" + i);
    }
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
      List<Set<String>> deciding = new ArrayList<>();
      for (NodeProcess node : nodes) {
        deciding.add(decidesFor(node));
      }
      assertThat(deciding.get(3)).as("the new node decides for some apps").isNotEmpty();
      Set<String> union = new HashSet<>();
      int total = 0;
      for (Set<String> apps1 : deciding) {
        union.addAll(apps1);
        total += apps1.size();
      }
      assertThat(union).as("every app has a decider").isEqualTo(all);
      assertThat(total).as("and only one").isEqualTo(all.size());
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> loads.get(3).ok.get() > 5);

    for (Load load : loads) {
      load.stop();
      assertThat(load.errors.stream().limit(5).toList()).as("errors seen by the clients of %s (%d in all)",
          load.node.publicUrl(), load.errors.size()).isEmpty();
      assertThat(load.ok.get()).isPositive();
    }
  }

  @Test
  void a_decider_killed_with_sigkill_is_replaced_without_duplicates_or_errors_on_the_other_nodes() throws Exception {
    Path apps = appsFolder(3, 3);
    startNodes(3, apps);
    await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1))
        .until(() -> metrics(nodes.get(0)).getJsonObject("replicas").getInteger("ready") == 3);
    for (NodeProcess node : nodes) {
      loads.add(Load.start(node, nodes.get(0).apiKey(), 2));
    }
    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(loads)
        .allSatisfy(load -> assertThat(load.ok.get()).as("answers through %s (node alive: %s); %d errors, the first %s",
            load.node.publicUrl(), load.node.alive(), load.errors.size(), load.errors.stream().limit(3).toList())
            .isGreaterThan(5)));

    NodeProcess decider = nodes.stream().filter(node -> decidesFor(node).contains(APP)).findFirst().orElseThrow();
    List<NodeProcess> survivors = nodes.stream().filter(node -> node != decider).toList();
    Load deadNodesClients = loads.get(nodes.indexOf(decider));
    deadNodesClients.stop();
    long killedAt = System.nanoTime();
    decider.kill();

    await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
        .until(() -> survivors.stream().anyMatch(node -> decidesFor(node).contains(APP)));
    long takeoverMillis = (System.nanoTime() - killedAt) / 1_000_000;
    AtomicInteger mostLive = new AtomicInteger();
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> {
      JsonArray replicas = survivors.get(0).json("/v1/apps/" + APP).getJsonArray("replicas");
      int live = 0;
      int ready = 0;
      for (int i = 0; i < replicas.size(); i++) {
        String state = replicas.getJsonObject(i).getString("state");
        live += List.of("starting", "ready", "unhealthy").contains(state) ? 1 : 0;
        ready += state.equals("ready") ? 1 : 0;
      }
      mostLive.accumulateAndGet(live, Math::max);
      return ready == 3;
    });
    // Keep the load on a while with the replacement in service.
    int before = loads.stream().filter(load -> load != deadNodesClients).mapToInt(load -> load.ok.get()).sum();
    await().atMost(Duration.ofSeconds(10)).until(() -> loads.stream().filter(load -> load != deadNodesClients)
        .mapToInt(load -> load.ok.get()).sum() > before + 20);

    System.out.printf("takeover after %d ms; at most %d live replicas%n", takeoverMillis, mostLive.get());
    assertThat(takeoverMillis).as("another node decides within a few seconds").isLessThan(10_000);
    assertThat(mostLive.get()).as("no duplicate replicas were started").isLessThanOrEqualTo(3);
    for (Load load : loads) {
      load.stop();
      if (load != deadNodesClients) {
        assertThat(load.errors.stream().limit(5).toList()).as("errors seen by the clients of %s (%d in all)",
            load.node.publicUrl(), load.errors.size()).isEmpty();
      }
    }
  }

  // --- The fleet -------------------------------------------------------------------------------------------------------

  private void startNodes(int count, Path apps) throws Exception {
    for (int i = 0; i < count; i++) {
      startNode(i, i == 0 ? apps : null);
    }
  }

  private NodeProcess startNode(int n, Path apps) throws Exception {
    List<String> extra = new ArrayList<>(List.of("--policy", "knative", "--scale-to-zero-grace", "PT10S"));
    if (apps != null) {
      extra.addAll(List.of("--apps", apps.toString()));
    }
    NodeProcess node = NodeProcess.start(temp.resolve("node-" + n), fleetName,
        nodes.stream().map(NodeProcess::fleetPort).toList(), TOKEN, extra);
    nodes.add(node);
    return node;
  }

  /** The busy app (the example server, 300 ms per request) and {@link #IDLE_APPS} apps at zero. */
  private Path appsFolder(int minReplicas, int maxReplicas) throws Exception {
    Path apps = temp.resolve("apps");
    TestNode.appFolder(apps, "busy", "config.yaml", Configs.truss("busy", """
        runtime:
          predict_concurrency: 4
        autoscaling_settings:
          min_replica: %d
          max_replica: %d
          concurrency_target: 2
          target_utilization_percentage: 100
          autoscaling_window: %d
          scale_down_delay: 30
        """.formatted(minReplicas, maxReplicas, WINDOW_SECONDS)));
    for (int i = 0; i < IDLE_APPS; i++) {
      TestNode.appFolder(apps, "idle-" + i, "config.yaml", Configs.truss("idle-" + i, ""));
    }
    return apps;
  }

  private static JsonObject metrics(NodeProcess node) throws Exception {
    return node.json("/v1/apps/" + APP + "/metrics");
  }

  private static Set<String> decidesFor(NodeProcess node) {
    try {
      Set<String> apps = new HashSet<>();
      node.json("/v1/fleet").getJsonArray("decides_for").forEach(app -> apps.add((String) app));
      return apps;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The busy app's true concurrency, counted by its replicas: each keeps the integral of its requests in flight over
   * time ({@code busy_seconds}), read here straight from the replicas, once a second or so.
   */
  private static final class Truth {

    private record Sample(long nanos, Map<String, Double> busy) {}

    private final NodeProcess node;
    private final HttpClient http = HttpClient.newHttpClient();
    private final ArrayDeque<Sample> samples = new ArrayDeque<>();

    Truth(NodeProcess node) {
      this.node = node;
    }

    /** Samples now; the average concurrency over the last window if the same replicas ran all through it. */
    java.util.OptionalDouble sample() throws Exception {
      JsonArray replicas = node.json("/v1/apps/" + APP).getJsonArray("replicas");
      Map<String, Double> busy = new HashMap<>();
      for (int i = 0; i < replicas.size(); i++) {
        JsonObject replica = replicas.getJsonObject(i);
        if (replica.getString("state").equals("ready")) {
          HttpResponse<String> stats = http.send(HttpRequest.newBuilder(
              URI.create("http://" + replica.getString("endpoint") + "/stats")).build(),
              HttpResponse.BodyHandlers.ofString());
          busy.put(replica.getString("name"), new JsonObject(stats.body()).getDouble("busy_seconds"));
        }
      }
      Sample now = new Sample(System.nanoTime(), busy);
      samples.addLast(now);
      Sample from = null;
      for (Sample earlier : samples) {
        if (now.nanos - earlier.nanos >= WINDOW_SECONDS * 1_000_000_000L) {
          from = earlier;
        }
      }
      if (from == null || !from.busy.keySet().equals(now.busy.keySet())) {
        return java.util.OptionalDouble.empty();
      }
      double seconds = (now.nanos - from.nanos) / 1e9;
      double total = 0;
      for (Map.Entry<String, Double> entry : now.busy.entrySet()) {
        total += entry.getValue() - from.busy.get(entry.getKey());
      }
      return java.util.OptionalDouble.of(total / seconds);
    }
  }

  /** Clients of one node, each sending the next request as soon as its last one is answered. */
  private static final class Load {

    final NodeProcess node;
    final AtomicInteger ok = new AtomicInteger();
    final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();

    private Load(NodeProcess node) {
      this.node = node;
    }

    static Load start(NodeProcess node, String apiKey, int clients) {
      Load load = new Load(node);
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpRequest request = HttpRequest.newBuilder(URI.create(node.publicUrl() + "/v4/" + APP
              + "/predict?latency_ms=300"))
          .header("Authorization", "Bearer " + apiKey).timeout(Duration.ofSeconds(30)).build();
      for (int i = 0; i < clients; i++) {
        Thread thread = new Thread(() -> {
          while (load.running.get()) {
            try {
              HttpResponse<String> answer = http.send(request, HttpResponse.BodyHandlers.ofString());
              if (answer.statusCode() == 200) {
                load.ok.incrementAndGet();
              } else {
                load.errors.add(answer.statusCode() + " " + answer.body());
              }
            } catch (Exception e) {
              if (load.running.get()) {
                load.errors.add(e.toString());
                // Pacing, not synchronisation: a node that is gone is not hammered in a tight loop.
                java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
              }
            }
          }
        }, "load-" + node.publicUrl() + "-" + i);
        thread.setDaemon(true);
        thread.start();
        load.threads.add(thread);
      }
      return load;
    }

    void stop() {
      running.set(false);
      for (Thread thread : threads) {
        try {
          thread.join(35_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }
}

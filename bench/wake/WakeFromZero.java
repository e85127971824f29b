import io.sluice.config.AppId;
import io.sluice.dataplane.auth.NodeCredentials;
import io.sluice.dataplane.node.NodeOptions;
import io.sluice.dataplane.node.SluiceNode;
import io.sluice.dataplane.scaling.ScalingOptions;
import java.net.URI;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Wake-from-zero overhead: the time a request to an app at zero takes to get its answer through a Sluice node, minus
 * the time the replica itself takes from process start to ready, measured directly in the same run (interleaved).
 * Run with bench/wake/run; prints medians and the overhead. Traffic goes to 127.0.0.1 only.
 */
public final class WakeFromZero {

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
    Path repo = Path.of(args.length > 1 ? args[1] : ".").toAbsolutePath().normalize();
    Path work = Files.createTempDirectory("sluice-wake-");
    Path app = Files.createDirectories(work.resolve("wake"));
    Files.copy(repo.resolve("examples/hello/main.py"), app.resolve("main.py"));
    Files.writeString(app.resolve("config.yaml"), """
        model_name: wake
        docker_server:
          start_command: python3 main.py --port 8000
          readiness_endpoint: /ready
          liveness_endpoint: /health
          predict_endpoint: /predict
          server_port: 8000
        environment_variables:
          WARMUP_SECONDS: "0"
        autoscaling_settings:
          min_replica: 0
          max_replica: 1
          autoscaling_window: 1
          scale_down_delay: 0
        """);
    NodeOptions options = NodeOptions.defaults(work.resolve("state")).toBuilder()
        .publicAddress("127.0.0.1", 0)
        .adminAddress("127.0.0.1", 0)
        .scaling(new ScalingOptions("sluice", Duration.ofSeconds(2), Duration.ofMillis(500)))
        .build();
    SluiceNode node = SluiceNode.start(options).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    HttpClient http = HttpClient.newHttpClient();
    AppId id = new AppId("local", "wake");
    String apiKey = Files.readString(options.stateDir().resolve(NodeCredentials.STARTER_KEY_FILE)).trim();
    try {
      node.deployer().deployFolder(app, Optional.empty(), Optional.empty())
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      List<Double> direct = new ArrayList<>();
      List<Double> woken = new ArrayList<>();
      List<Double> overhead = new ArrayList<>();
      for (int round = 0; round < rounds + 1; round++) {
        awaitZero(node, id);
        double ownStartup = directStartToReady(app);
        long sent = System.nanoTime();
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(
                URI.create(node.publicBaseUrl().replace("localhost", "127.0.0.1") + "/v4/local/wake/predict"))
            .header("Authorization", "Bearer " + apiKey)
            .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        double wake = (System.nanoTime() - sent) / 1e6;
        if (answer.statusCode() != 200) {
          throw new IllegalStateException("wake request answered " + answer.statusCode() + ": " + answer.body());
        }
        if (round == 0) {
          continue; // the first round warms both JVM paths up
        }
        direct.add(ownStartup);
        woken.add(wake);
        overhead.add(wake - ownStartup);
        System.out.printf("round %2d: replica start-to-ready %7.1f ms, first answer through Sluice %7.1f ms%n",
            round, ownStartup, wake);
      }
      System.out.println();
      System.out.printf("replica's own start-to-ready (direct), median: %7.1f ms%n", median(direct));
      System.out.printf("first answer from zero through Sluice, median: %7.1f ms%n", median(woken));
      System.out.printf("wake-from-zero overhead, median of rounds:    %7.1f ms  (p90 %.1f ms; target < 50 ms)%n",
          median(overhead), percentile(overhead, 0.9));
      System.out.printf("ratio through-Sluice / direct, median:        %7.2f%n", median(woken) / median(direct));
    } finally {
      node.stop().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    }
  }

  /** Waits until the app has no replica left (its scale-to-zero grace has passed). */
  private static void awaitZero(SluiceNode node, AppId id) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!node.deployer().app(id).orElseThrow().liveReplicas().isEmpty()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("the app did not scale to zero within 60 s");
      }
      Thread.sleep(50);
    }
    Thread.sleep(300); // let the last replica's process exit before the next round starts another
  }

  /** Starts the replica's process directly and polls its ready endpoint every millisecond. */
  private static double directStartToReady(Path app) throws Exception {
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(200)).build();
    ProcessBuilder builder = new ProcessBuilder("python3", "main.py", "--port", Integer.toString(port))
        .directory(app.toFile()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    builder.environment().put("WARMUP_SECONDS", "0");
    long started = System.nanoTime();
    Process process = builder.start();
    try {
      while (true) {
        try {
          HttpResponse<Void> ready = http.send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + port + "/ready")).build(), HttpResponse.BodyHandlers.discarding());
          if (ready.statusCode() == 200) {
            return (System.nanoTime() - started) / 1e6;
          }
        } catch (java.io.IOException notYet) {
          // not listening yet
        }
        Thread.sleep(1);
      }
    } finally {
      process.destroyForcibly().waitFor();
    }
  }

  private static double median(List<Double> values) {
    return percentile(values, 0.5);
  }

  private static double percentile(List<Double> values, double p) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get((int) Math.min(sorted.size() - 1, Math.round(p * (sorted.size() - 1))));
  }
}

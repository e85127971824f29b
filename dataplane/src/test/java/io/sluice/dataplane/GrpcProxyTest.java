package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.dataplane.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * gRPC through a real node, with a gRPC client and server that no one here wrote: Python's grpcio (Debian's
 * python3-grpcio and python3-grpc-tools, which {@code .ci/run} installs), driven by the example app under
 * {@code examples/grpc-echo} and its command-line client.
 */
class GrpcProxyTest {

  static final Path EXAMPLE = Path.of("..", "examples", "grpc-echo").toAbsolutePath().normalize();
  static final String PYTHON = "/usr/bin/python3";

  @TempDir
  static Path temp;

  static TestNode node;
  static Vertx vertx;
  static HttpClient h2;

  @BeforeAll
  static void start() throws Exception {
    Process check = new ProcessBuilder(PYTHON, "-c", "import grpc, grpc_tools").redirectErrorStream(true).start();
    assertThat(check.waitFor()).as("Debian's python3-grpcio and python3-grpc-tools are installed (`.ci/run` "
        + "installs them: apt-get install python3-grpcio python3-grpc-tools)").isZero();
    node = TestNode.start(TestNode.options(temp.resolve("state")).hold(Duration.ofSeconds(10), 4).build());
    node.deployAndAwaitReady(grpcApp("grpc-echo", 1, 8, ""));
    node.deployAndAwaitReady(grpcApp("grpc-two", 1, 2, ""));
    node.deployAndAwaitReady(grpcApp("grpc-slow", 1, 8, "request_timeout = 1\n"));
    node.deployAndAwaitReady(grpcApp("grpc-doomed", 1, 8, ""));
    node.deploy(grpcApp("grpc-cold", 0, 8, ""));
    vertx = Vertx.vertx();
    h2 = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(false).setDefaultHost("127.0.0.1").setDefaultPort(node.node().publicPort()));
  }

  @AfterAll
  static void stop() throws Exception {
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    node.close();
  }

  /** The example app, as a user would deploy it, with its scaling and `[sluice]` keys set for the test. */
  static Path grpcApp(String name, int minReplicas, int concurrency, String sluiceExtra) throws IOException {
    Path dir = Files.createDirectories(temp.resolve(name));
    for (String file : List.of("echo.proto", "stubs.py", "server.py")) {
      Files.copy(EXAMPLE.resolve(file), dir.resolve(file));
    }
    Files.writeString(dir.resolve("cerebrium.toml"), """
        [cerebrium.deployment]
        name = "%s"

        [cerebrium.runtime.custom]
        port = 50051
        entrypoint = ["%s", "server.py"]

        [cerebrium.scaling]
        min_replicas = %d
        max_replicas = 1
        replica_concurrency = %d

        [sluice]
        protocol = "grpc"
        %s
        """.formatted(name, PYTHON, minReplicas, concurrency, sluiceExtra));
    return dir;
  }

  /** Runs the example's client against the node; its answer, a gRPC error included, is one JSON object. */
  static JsonObject grpc(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(PYTHON, EXAMPLE.resolve("client.py").toString(),
        "--target", "127.0.0.1:" + node.node().publicPort()));
    command.addAll(List.of(args));
    Process client = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String out = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(client.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(client.exitValue()).as("client usage: " + command).isZero();
    return new JsonObject(out.trim());
  }

  static JsonObject call(String app, String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("--app", app, "--token", node.apiKey()));
    all.addAll(List.of(args));
    return grpc(all.toArray(String[]::new));
  }

  static CompletableFuture<JsonObject> callAsync(String app, String... args) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return call(app, args);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
  }

  static JsonObject stats(String app) throws Exception {
    return call("local/" + app, "stats").getJsonArray("replies").getJsonObject(0);
  }

  @Test
  void a_unary_call_named_by_header_passes_metadata_both_ways() throws Exception {
    JsonObject answer = call("local/grpc-echo", "--metadata", "x-trace=abc-123", "say", "hello grpc");

    assertThat(answer.getString("code")).isEqualTo("OK");
    JsonObject reply = answer.getJsonArray("replies").getJsonObject(0);
    assertThat(reply.getString("text")).isEqualTo("hello grpc");
    assertThat(reply.getJsonObject("metadata").getString("x-trace")).isEqualTo("abc-123");
    assertThat(answer.getJsonObject("initial_metadata").getString("x-replica")).startsWith("grpc-echo");
    assertThat(answer.getJsonObject("initial_metadata").getString("x-request-id")).isNotBlank();
    assertThat(answer.getJsonObject("trailing_metadata").getString("x-echo-trailer")).isEqualTo("hello grpc");
  }

  @Test
  void a_unary_call_under_the_apps_path_prefix_reaches_the_method() throws Exception {
    JsonObject answer = grpc("--token", node.apiKey(), "--prefix", "/v4/local/grpc-echo", "say", "by path");

    assertThat(answer.getString("code")).isEqualTo("OK");
    assertThat(answer.getJsonArray("replies").getJsonObject(0).getString("text")).isEqualTo("by path");
  }

  @Test
  void a_call_whose_authority_names_the_app_reaches_it() throws Exception {
    HttpClientResponse answer = h2.request(new RequestOptions().setMethod(HttpMethod.POST)
            .setServer(SocketAddress.inetSocketAddress(node.node().publicPort(), "127.0.0.1"))
            .setHost("grpc-echo.local.models.example").setPort(80).setURI("/sluice.echo.Echo/Say")
            .putHeader("content-type", "application/grpc").putHeader("te", "trailers")
            .putHeader("authorization", "Bearer " + node.apiKey()))
        .compose(request -> request.send(Buffer.buffer(new byte[5])))
        .compose(response -> response.end().map(response))
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

    assertThat(answer.headers().get("x-replica")).startsWith("grpc-echo");
    assertThat(answer.trailers().get("grpc-status")).isEqualTo("0");
  }

  @Test
  void server_client_and_bidirectional_streams_pass_through() throws Exception {
    JsonObject counted = call("local/grpc-echo", "count", "5", "20");
    JsonObject summed = call("local/grpc-echo", "sum", "1", "2", "3", "-4");
    JsonObject chatted = call("local/grpc-echo", "chat", "one", "two", "three");

    assertThat(counted.getString("code")).isEqualTo("OK");
    assertThat(counted.getJsonArray("replies")).hasSize(5);
    assertThat(counted.getJsonArray("replies").getJsonObject(4).getInteger("number")).isEqualTo(5);
    assertThat(summed.getString("code")).isEqualTo("OK");
    assertThat(summed.getJsonArray("replies").getJsonObject(0).getInteger("sum")).isEqualTo(2);
    assertThat(summed.getJsonArray("replies").getJsonObject(0).getInteger("count")).isEqualTo(4);
    assertThat(chatted.getString("code")).isEqualTo("OK");
    JsonArray replies = chatted.getJsonArray("replies");
    assertThat(replies.stream().map(r -> ((JsonObject) r).getString("text")))
        .containsExactly("echo: one", "echo: two", "echo: three");
  }

  @Test
  void a_status_from_the_replica_reaches_the_client_unchanged() throws Exception {
    JsonObject answer = call("local/grpc-echo", "fail", "RESOURCE_EXHAUSTED", "model busy: ünïcode");

    assertThat(answer.getString("code")).isEqualTo("RESOURCE_EXHAUSTED");
    assertThat(answer.getString("details")).isEqualTo("model busy: ünïcode");
    assertThat(answer.getJsonObject("trailing_metadata").getString("x-fail-reason")).isNotBlank();
  }

  @Test
  void a_deadline_ends_the_call_and_the_replicas_work_on_it() throws Exception {
    int cancelledBefore = stats("grpc-echo").getInteger("cancelled");

    JsonObject answer = call("local/grpc-echo", "--timeout", "0.3", "sleep", "5000");

    assertThat(answer.getString("code")).isEqualTo("DEADLINE_EXCEEDED");
    assertThat(answer.getDouble("elapsed_ms")).isLessThan(4000.0);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(stats("grpc-echo").getInteger("cancelled")).isGreaterThan(cancelledBefore));
  }

  @Test
  void a_client_that_cancels_cancels_the_replicas_stream() throws Exception {
    int cancelledBefore = stats("grpc-echo").getInteger("cancelled");

    JsonObject answer = call("local/grpc-echo", "cancel-count", "50", "100", "350");

    assertThat(answer.getString("code")).isEqualTo("CANCELLED");
    assertThat(answer.getJsonArray("replies").size()).isBetween(1, 10);
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(stats("grpc-echo").getInteger("cancelled")).isGreaterThan(cancelledBefore));
  }

  @Test
  void sluice_answers_an_unknown_app_and_a_missing_credential_with_grpc_statuses() throws Exception {
    JsonObject unknown = call("local/no-such-app", "say", "x");
    JsonObject anonymous = grpc("--app", "local/grpc-echo", "say", "x");

    assertThat(unknown.getString("code")).isEqualTo("NOT_FOUND");
    assertThat(unknown.getString("details")).contains("app_not_found");
    assertThat(anonymous.getString("code")).isEqualTo("UNAUTHENTICATED");
  }

  @Test
  void a_replica_slower_than_the_apps_timeout_gives_deadline_exceeded() throws Exception {
    JsonObject answer = call("local/grpc-slow", "sleep", "4000");

    assertThat(answer.getString("code")).isEqualTo("DEADLINE_EXCEEDED");
    assertThat(answer.getString("details")).contains("replica_timeout");
  }

  @Test
  void the_per_replica_limit_counts_streams_and_a_full_queue_is_unavailable_with_a_retry_hint() throws Exception {
    stats("grpc-two");
    call("local/grpc-two", "stats", "--reset");

    JsonObject parallel = call("local/grpc-two", "parallel", "6", "sleep", "300");

    assertThat(parallel.getJsonArray("codes")).containsOnly("OK").hasSize(6);
    assertThat(stats("grpc-two").getInteger("max_in_flight")).as("replica_concurrency = 2").isEqualTo(2);

    // Two calls running and four held fill the app: the next is refused at once.
    CompletableFuture<JsonObject> filling = callAsync("local/grpc-two", "parallel", "6", "sleep", "4000");
    JsonObject[] refused = new JsonObject[1];
    await().atMost(Duration.ofSeconds(20)).until(() -> {
      refused[0] = call("local/grpc-two", "--timeout", "0.2", "say", "one too many");
      return refused[0].getString("code").equals("UNAVAILABLE");
    });
    assertThat(refused[0].getString("details")).contains("queue_full");
    assertThat(refused[0].getJsonObject("trailing_metadata").getString("retry-after")).isEqualTo("1");
    assertThat(filling.get(60, TimeUnit.SECONDS).getJsonArray("codes")).containsOnly("OK");
  }

  @Test
  void a_call_held_past_its_deadline_ends_there_and_never_reaches_the_replica() throws Exception {
    call("local/grpc-two", "stats", "--reset");
    CompletableFuture<JsonObject> busy = callAsync("local/grpc-two", "parallel", "2", "sleep", "2500");
    // The replica's own stats would wait behind the two: the node's published load says when both run.
    await().atMost(Duration.ofSeconds(10)).until(() ->
        node.adminJson("/v1/apps/local/grpc-two/metrics").getJsonObject("fleet").getInteger("in_flight") == 2);

    JsonObject held = call("local/grpc-two", "--timeout", "0.3", "say", "waits");
    // A caller that sends grpc-timeout but keeps no deadline of its own hears from Sluice when it passes.
    Future<HttpClientResponse> raw = rawGrpcCall("grpc-two", "300m");
    HttpClientResponse answer = raw.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

    assertThat(held.getString("code")).isEqualTo("DEADLINE_EXCEEDED");
    assertThat(answer.statusCode()).isEqualTo(200);
    assertThat(answer.headers().get("grpc-status")).isEqualTo("4");
    assertThat(answer.headers().get("grpc-message")).contains("waited for a replica");
    assertThat(busy.get(60, TimeUnit.SECONDS).getJsonArray("codes")).containsOnly("OK");
    assertThat(stats("grpc-two").getInteger("calls")).as("only the two that had a slot ran").isEqualTo(2);
  }

  /** A gRPC call of Say with an empty message, by hand over Vert.x's HTTP/2 client, keeping no deadline itself. */
  static Future<HttpClientResponse> rawGrpcCall(String app, String grpcTimeout) {
    return h2.request(new RequestOptions().setMethod(HttpMethod.POST).setURI("/sluice.echo.Echo/Say")
            .putHeader("content-type", "application/grpc").putHeader("te", "trailers")
            .putHeader("grpc-timeout", grpcTimeout).putHeader("x-sluice-app", "local/" + app)
            .putHeader("authorization", "Bearer " + node.apiKey()))
        // One length-prefixed message: not compressed, zero bytes long.
        .compose(request -> request.send(Buffer.buffer(new byte[5])))
        .compose(response -> response.end().map(response));
  }

  @Test
  void an_open_stream_is_one_request_in_flight_for_its_whole_length() throws Exception {
    CompletableFuture<JsonObject> streaming = callAsync("local/grpc-doomed", "count", "30", "100");

    await().atMost(Duration.ofSeconds(10)).until(() -> inFlight("grpc-doomed") == 1);
    // Seconds later, still streaming, it still counts; once it ends it does not.
    await().pollDelay(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(3)).until(() -> inFlight("grpc-doomed") == 1);
    assertThat(streaming.get(30, TimeUnit.SECONDS).getJsonArray("replies")).hasSize(30);
    await().atMost(Duration.ofSeconds(10)).until(() -> inFlight("grpc-doomed") == 0);
  }

  static int inFlight(String app) throws Exception {
    return node.adminJson("/v1/apps/local/" + app + "/metrics").getJsonObject("fleet").getInteger("in_flight");
  }

  @Test
  void a_call_to_an_app_at_zero_is_held_while_it_wakes() throws Exception {
    JsonObject answer = call("local/grpc-cold", "say", "wake up");

    assertThat(answer.getString("code")).isEqualTo("OK");
    assertThat(answer.getJsonArray("replies").getJsonObject(0).getString("text")).isEqualTo("wake up");
  }

  @Test
  void a_replica_that_dies_mid_stream_ends_the_call_with_unavailable() throws Exception {
    String replica = call("local/grpc-doomed", "say", "who").getJsonObject("initial_metadata").getString("x-replica");
    CompletableFuture<JsonObject> streaming = callAsync("local/grpc-doomed", "count", "100", "100");
    await().atMost(Duration.ofSeconds(10)).until(() -> stats("grpc-doomed").getInteger("in_flight") >= 1);

    ProcessHandle process = replicaProcess(replica);
    process.destroyForcibly();

    JsonObject answer = streaming.get(30, TimeUnit.SECONDS);
    assertThat(answer.getString("code")).isEqualTo("UNAVAILABLE");
    assertThat(answer.getJsonArray("replies").size()).isBetween(1, 99);
  }

  /** The replica's process, found by the name the node gave it in its environment. */
  static ProcessHandle replicaProcess(String replica) {
    return ProcessHandle.allProcesses().filter(process -> {
      try {
        byte[] environ = Files.readAllBytes(Path.of("/proc", Long.toString(process.pid()), "environ"));
        return new String(environ, StandardCharsets.UTF_8).contains("SLUICE_REPLICA=" + replica + "\0");
      } catch (IOException | RuntimeException unreadable) {
        return false;
      }
    }).findFirst().orElseThrow(() -> new AssertionError("no process for replica " + replica));
  }
}

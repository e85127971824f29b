package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.dataplane.support.H2cEchoServer;
import io.sluice.dataplane.support.RawHttp;
import io.sluice.dataplane.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import io.sluice.config.ClientLimits;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTP/2 clients (Vert.x's own, and curl) through a real node, to an HTTP/1.1 replica (the example server) and to a
 * replica that speaks h2c ({@link H2cEchoServer}, a process of its own).
 */
class Http2ProxyTest {

  @TempDir
  static Path temp;

  static TestNode node;
  static Vertx vertx;
  /** One HTTP/2 connection with prior knowledge, multiplexing every request on it. */
  static HttpClient h2;

  @BeforeAll
  static void start() throws Exception {
    // A short keep-alive, so that an idle HTTP/2 connection's end can be seen.
    node = TestNode.start(TestNode.options(temp.resolve("state")).limits(ClientLimits.defaults()
        .withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(1))).build());
    node.deployAndAwaitReady(TestNode.appFolder(temp, "hello", "cerebrium.toml", """
        [cerebrium.deployment]
        name = "hello"

        [cerebrium.runtime.custom]
        port = 5000
        entrypoint = ["python3", "main.py", "--host", "127.0.0.1", "--port", "5000"]
        healthcheck_endpoint = "/health"
        readycheck_endpoint = "/ready"

        [cerebrium.scaling]
        min_replicas = 1
        max_replicas = 1
        replica_concurrency = 32

        [cerebrium.environment_variables]
        WARMUP_SECONDS = "0"
        """));
    node.deployAndAwaitReady(h2cApp("h2echo", 64));
    node.deployAndAwaitReady(h2cApp("h2limited", 4));
    node.deployAndAwaitReady(echoApp("h1echo", 8, "http1"));
    vertx = Vertx.vertx();
    h2 = h2Client(new Http2Settings());
  }

  /** An HTTP/2 client with prior knowledge, one connection, sending {@code settings}. */
  static HttpClient h2Client(Http2Settings settings) {
    return vertx.createHttpClient(new HttpClientOptions()
            .setProtocolVersion(HttpVersion.HTTP_2)
            .setHttp2ClearTextUpgrade(false)
            .setInitialSettings(settings)
            .setDefaultHost("127.0.0.1")
            .setDefaultPort(node.node().publicPort()),
        new PoolOptions().setHttp2MaxSize(1));
  }

  /** An app whose server speaks h2c: `[sluice] protocol = "h2c"`, probed by TCP connect. */
  static Path h2cApp(String name, int concurrency) throws IOException {
    return echoApp(name, concurrency, "h2c");
  }

  /** The same server, spoken to in {@code protocol}: it answers HTTP/1.1 as well as h2c. */
  static Path echoApp(String name, int concurrency, String protocol) throws IOException {
    Path dir = Files.createDirectories(temp.resolve(name));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Files.writeString(dir.resolve("cerebrium.toml"), """
        [cerebrium.deployment]
        name = "%s"

        [cerebrium.runtime.custom]
        port = 8000
        entrypoint = ["%s", "-Xmx64m", "-cp", "%s", "%s"]

        [cerebrium.scaling]
        min_replicas = 1
        max_replicas = 1
        replica_concurrency = %d

        [sluice]
        protocol = "%s"
        """.formatted(name, java, System.getProperty("java.class.path"), H2cEchoServer.class.getName(),
        concurrency, protocol));
    return dir;
  }

  @AfterAll
  static void stop() throws Exception {
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    node.close();
  }

  record Answer(int status, HttpVersion version, io.vertx.core.MultiMap headers, String body,
      io.vertx.core.MultiMap trailers) {
    JsonObject json() {
      return new JsonObject(body);
    }
  }

  static Future<Answer> call(HttpMethod method, String path, String body) {
    return call(h2, method, path, body);
  }

  static Future<Answer> call(HttpClient client, HttpMethod method, String path, String body) {
    return client.request(new RequestOptions().setMethod(method).setURI(path)
            .putHeader("authorization", "Bearer " + node.apiKey()))
        .compose(request -> body == null ? request.send() : request.send(body))
        .compose(response -> response.body().map(bytes -> answer(response, bytes.toString())));
  }

  static Answer answer(HttpClientResponse response, String body) {
    return new Answer(response.statusCode(), response.version(), response.headers(), body, response.trailers());
  }

  static Answer await(Future<Answer> answer) throws Exception {
    return answer.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  void an_http2_client_reaches_an_http1_replica_with_its_headers_and_body() throws Exception {
    Answer answer = await(call(HttpMethod.POST, "/v4/local/hello/echo?a=1", "sent over h2"));

    assertThat(answer.status()).isEqualTo(200);
    assertThat(answer.version()).isEqualTo(HttpVersion.HTTP_2);
    JsonObject echoed = answer.json();
    assertThat(echoed.getString("method")).isEqualTo("POST");
    assertThat(echoed.getString("query")).isEqualTo("a=1");
    assertThat(echoed.getString("body")).isEqualTo("sent over h2");
    JsonObject headers = echoed.getJsonObject("headers");
    assertThat(headers.getString("x-request-id")).isEqualTo(answer.headers().get("x-request-id"));
    assertThat(headers.fieldNames()).noneMatch(name -> name.startsWith("x-http2-"))
        .doesNotContain("authorization");
  }

  @Test
  void requests_multiplexed_on_one_connection_run_at_once_on_an_http1_replica() throws Exception {
    List<Future<Answer>> calls = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      calls.add(call(HttpMethod.POST, "/v4/local/hello/predict?latency_ms=400", "{}"));
    }
    for (Future<Answer> call : calls) {
      assertThat(await(call).status()).isEqualTo(200);
    }

    JsonObject stats = await(call(HttpMethod.GET, "/v4/local/hello/stats", null)).json();
    assertThat(stats.getInteger("max_in_flight")).as("one client connection, requests in parallel").isGreaterThan(1);
  }

  @Test
  void an_h2c_replica_is_spoken_to_over_http2_and_its_trailers_reach_the_client() throws Exception {
    Answer echo = await(call(HttpMethod.GET, "/v4/local/h2echo/echo", null));
    Answer trailers = await(call(HttpMethod.GET, "/v4/local/h2echo/trailers", null));

    assertThat(echo.json().getString("version")).isEqualTo("HTTP_2");
    assertThat(echo.json().getJsonObject("headers").fieldNames()).noneMatch(name -> name.startsWith("x-http2-"));
    assertThat(trailers.body()).isEqualTo("part one;part two");
    assertThat(trailers.trailers().get("x-trailer")).isEqualTo("yes");
  }

  @Test
  void a_replicas_http1_trailers_reach_an_http1_client_after_its_chunked_body() throws Exception {
    String answer = RawHttp.exchange(node.node().publicPort(), "GET /v4/local/h1echo/trailers HTTP/1.1\r\n"
        + "Host: a\r\nTE: trailers\r\n" + node.authLine() + "Connection: close\r\n\r\n");

    assertThat(answer).startsWith("HTTP/1.1 200");
    String body = answer.substring(answer.indexOf("\r\n\r\n") + 4);
    assertThat(answer.substring(0, answer.indexOf("\r\n\r\n")).toLowerCase())
        .contains("transfer-encoding: chunked");
    // The last chunk, then the trailer, then the end of the message.
    assertThat(body).contains("part one").contains("part two").endsWith("0\r\nx-trailer: yes\r\n\r\n");
  }

  @Test
  void an_http1_client_reaches_an_h2c_replica() throws Exception {
    var response = node.send(node.request("/v4/local/h2echo/echo").version(java.net.http.HttpClient.Version.HTTP_1_1)
        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("over 1.1")).build());

    assertThat(response.statusCode()).isEqualTo(200);
    JsonObject echoed = new JsonObject(response.body());
    assertThat(echoed.getString("version")).isEqualTo("HTTP_2");
    assertThat(echoed.getString("body")).isEqualTo("over 1.1");
  }

  @Test
  void streams_to_an_h2c_replica_share_its_connections_and_its_limit_counts_streams() throws Exception {
    List<Future<Answer>> calls = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      calls.add(call(HttpMethod.GET, "/v4/local/h2limited/sleep?ms=150", null));
    }
    for (Future<Answer> call : calls) {
      assertThat(await(call).status()).isEqualTo(200);
    }

    JsonObject stats = await(call(HttpMethod.GET, "/v4/local/h2limited/stats", null)).json();
    assertThat(stats.getInteger("max_in_flight")).as("replica_concurrency = 4, counted in streams").isEqualTo(4);
    assertThat(stats.getInteger("connections")).as("at most one connection per event loop of the node")
        .isLessThanOrEqualTo(2);
  }

  @Test
  void sluice_answers_its_own_errors_over_http2_as_json() throws Exception {
    Answer missing = await(call(HttpMethod.GET, "/v4/local/no-such-app/x", null));

    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.json().getJsonObject("error").getString("code")).isEqualTo("app_not_found");
  }

  @Test
  void an_error_larger_than_the_clients_stream_window_arrives_whole() throws Exception {
    // The client lets 16 bytes at a time into a stream: the JSON error waits behind flow control, and the stream
    // must not be closed (reset) before all of it has gone out.
    HttpClient narrow = h2Client(new Http2Settings().setInitialWindowSize(16));
    try {
      Answer missing = await(call(narrow, HttpMethod.GET, "/v4/local/no-such-app/x", null));

      assertThat(missing.status()).isEqualTo(404);
      assertThat(missing.body().length()).isGreaterThan(16);
      assertThat(missing.json().getJsonObject("error").getString("code")).isEqualTo("app_not_found");
    } finally {
      narrow.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void curl_with_prior_knowledge_and_curl_upgrading_from_http1_both_get_http2() throws Exception {
    String url = node.publicUrl() + "/v4/local/hello/echo";

    String prior = curl("--http2-prior-knowledge", url);
    String upgraded = curl("--http2", url);

    assertThat(prior).startsWith("HTTP/2 200").contains("\"path\": \"/echo\"");
    assertThat(upgraded).startsWith("HTTP/1.1 101").contains("HTTP/2 200").contains("\"path\": \"/echo\"");
  }

  @Test
  void the_jdk_client_asking_for_h2c_with_a_large_body_is_served_over_http1_and_with_a_small_one_over_http2()
      throws Exception {
    // java.net.http asks for h2c on the first request of each cleartext connection, whatever its body: a body too
    // large to read whole before the switch used to get an empty 413 from the upgrade handler.
    String large = "x".repeat(1 << 20);
    var jdk = java.net.http.HttpClient.newHttpClient();
    var first = jdk.send(node.request("/v4/local/hello/echo").POST(BodyPublishers.ofString(large)).build(),
        BodyHandlers.ofString());
    var fresh = java.net.http.HttpClient.newHttpClient();
    var small = fresh.send(node.request("/v4/local/hello/echo").POST(BodyPublishers.ofString("{}")).build(),
        BodyHandlers.ofString());

    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.version()).isEqualTo(java.net.http.HttpClient.Version.HTTP_1_1);
    assertThat(new JsonObject(first.body()).getString("body")).isEqualTo(large);
    assertThat(small.statusCode()).isEqualTo(200);
    assertThat(small.version()).isEqualTo(java.net.http.HttpClient.Version.HTTP_2);
    assertThat(new JsonObject(small.body()).getString("body")).isEqualTo("{}");
  }

  @Test
  void an_http2_connection_with_no_stream_open_closes_after_the_keep_alive_timeout() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", node.node().publicPort())) {
      socket.setSoTimeout(15_000);
      OutputStream out = socket.getOutputStream();
      out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      // An empty SETTINGS frame: length 0, type 4, no flags, stream 0.
      out.write(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0});
      out.flush();
      long started = System.nanoTime();

      byte[] received = socket.getInputStream().readAllBytes();

      assertThat(Duration.ofNanos(System.nanoTime() - started)).isBetween(Duration.ofMillis(900),
          Duration.ofSeconds(10));
      assertThat(frameTypes(received)).as("SETTINGS, then GOAWAY before the close").contains(4, 7);
    }
  }

  /** The types of the HTTP/2 frames in {@code bytes}, in order. */
  static List<Integer> frameTypes(byte[] bytes) {
    List<Integer> types = new ArrayList<>();
    for (int at = 0; at + 9 <= bytes.length; ) {
      int length = ((bytes[at] & 0xFF) << 16) | ((bytes[at + 1] & 0xFF) << 8) | (bytes[at + 2] & 0xFF);
      types.add(bytes[at + 3] & 0xFF);
      at += 9 + length;
    }
    return types;
  }

  static String curl(String protocol, String url) throws Exception {
    Process curl = new ProcessBuilder("curl", "-sS", "-i", "--max-time", "20", protocol, "-H",
        "Authorization: Bearer " + node.apiKey(), url).redirectErrorStream(true).start();
    String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(curl.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return out;
  }
}

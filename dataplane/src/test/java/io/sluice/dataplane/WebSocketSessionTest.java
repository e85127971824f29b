package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.hazelcast.map.IMap;
import io.sluice.autoscaler.replica.ReplicaId;
import io.sluice.config.ClientLimits;
import io.sluice.dataplane.apps.DeployedApp;
import io.sluice.dataplane.support.Configs;
import io.sluice.dataplane.support.TestNode;
import io.sluice.dataplane.support.WebSocketListener;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A WebSocket session's life through a live node to real replicas: the app's own limits (idle time, session length,
 * message size) close it with a code and a reason on both sides; a replica that dies or a client that vanishes closes
 * the other side; control frames and close codes pass both ways; a replica that is scaled down or undeployed keeps
 * its open sessions up to the app's grace period. The same echoes and closes are checked with the npm {@code ws}
 * client as well as Java's.
 */
class WebSocketSessionTest {

  private static final long NODE_MAX_MESSAGE = 2L << 20;
  private static final Path WS_CLIENT_SOURCE = Path.of("src", "test", "ws-client");
  private static final Path WS_CLIENT = Path.of("target", "ws-client").toAbsolutePath();

  @TempDir
  static Path temp;

  static TestNode node;
  static DeployedApp echo;
  static DeployedApp strict;

  @BeforeAll
  static void startNode() throws Exception {
    node = TestNode.start(TestNode.options(temp.resolve("state"))
        .limits(ClientLimits.defaults().withMaxWebSocketMessageBytes(NODE_MAX_MESSAGE)).build());
    // Asks for more than the node allows: the node's limit holds.
    echo = node.deployAndAwaitReady(TestNode.appFolder(temp, "echo", "cerebrium.toml",
        Configs.cerebrium("echo", 1, 0, "[sluice]\nwebsocket_max_message_bytes = 8388608\n")));
    strict = node.deployAndAwaitReady(TestNode.appFolder(temp, "strict", "config.yaml", Configs.truss("strict", """
        runtime:
          predict_concurrency: 8
        autoscaling_settings:
          min_replica: 1
        sluice:
          websocket_idle_timeout: 1
          websocket_max_session: 3
          websocket_max_message_bytes: 1024
        """)));
  }

  @AfterAll
  static void stopNode() throws Exception {
    node.close();
  }

  /** Opens a socket to the app's echo and takes the replica's hello. */
  private static WebSocket open(String app, WebSocketListener listener) throws Exception {
    return open(app, listener, "ws-" + System.nanoTime());
  }

  private static WebSocket open(String app, WebSocketListener listener, String requestId) throws Exception {
    WebSocket socket = node.http().newWebSocketBuilder().header("Authorization", "Bearer " + node.apiKey())
        .header("X-Request-Id", requestId).buildAsync(URI.create(wsUrl(app)), listener).get(10, TimeUnit.SECONDS);
    assertThat(new JsonObject((String) listener.next()).getString("path")).isEqualTo("/ws");
    return socket;
  }

  private static String wsUrl(String app) {
    return "ws://127.0.0.1:" + node.node().publicPort() + "/v4/local/" + app + "/ws";
  }

  /** The replica's own count of open sockets and how its last one ended. */
  private static JsonObject stats(String app) throws Exception {
    HttpResponse<String> answer = node.get("/v4/local/" + app + "/stats");
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    return new JsonObject(answer.body());
  }

  private static void awaitReplicaSawEnd(String app, Object lastEnd) {
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      JsonObject stats = stats(app);
      assertThat(stats.getInteger("websockets")).isZero();
      assertThat(stats.getValue("websocket_last_end")).isEqualTo(lastEnd);
    });
  }

  private static void awaitNoneInFlight(DeployedApp app) {
    await().atMost(Duration.ofSeconds(10)).until(() -> app.route().onReplicas() == 0);
  }

  // --- The app's limits ----------------------------------------------------------------------------------------------

  @Test
  void a_socket_without_a_frame_for_the_apps_idle_timeout_is_closed_1001_on_both_sides() throws Exception {
    WebSocketListener listener = new WebSocketListener();
    open("strict", listener);
    long quietSince = System.nanoTime();

    assertThat(listener.closed()).isEqualTo(new WebSocketListener.Closed(1001, "idle timeout"));
    assertThat(Duration.ofNanos(System.nanoTime() - quietSince)).isBetween(Duration.ofMillis(900),
        Duration.ofSeconds(4));
    awaitReplicaSawEnd("strict", new JsonArray().add(1001).add("idle timeout"));
    awaitNoneInFlight(strict);
  }

  @Test
  void a_session_past_the_apps_limit_is_closed_1001_even_while_busy() throws Exception {
    WebSocketListener listener = new WebSocketListener();
    WebSocket socket = open("strict", listener);
    long opened = System.nanoTime();

    int sent = 0;
    while (!listener.closed.isDone() && System.nanoTime() - opened < TimeUnit.SECONDS.toNanos(10)) {
      socket.sendText("tick " + sent++, true);
      try {
        listener.closed.get(250, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException stillOpen) {
        // A tick every quarter second keeps the socket busy until the node closes it.
      }
    }

    assertThat(listener.closed()).isEqualTo(new WebSocketListener.Closed(1001, "session limit of 3 s reached"));
    assertThat(Duration.ofNanos(System.nanoTime() - opened)).isBetween(Duration.ofSeconds(3), Duration.ofSeconds(6));
    assertThat(listener.messages).as("echoes while it lasted").hasSizeGreaterThan(5);
    awaitReplicaSawEnd("strict", new JsonArray().add(1001).add("session limit of 3 s reached"));
    awaitNoneInFlight(strict);
  }

  @Test
  void a_message_over_the_apps_limit_closes_1009_and_one_at_the_limit_passes() throws Exception {
    WebSocketListener listener = new WebSocketListener();
    WebSocket socket = open("strict", listener);
    byte[] atLimit = new byte[1024];
    new Random(1).nextBytes(atLimit);

    socket.sendBinary(ByteBuffer.wrap(atLimit), true).get(5, TimeUnit.SECONDS);
    assertThat((byte[]) listener.next()).isEqualTo(atLimit);
    socket.sendBinary(ByteBuffer.wrap(new byte[1025]), true).get(5, TimeUnit.SECONDS);

    // One frame over the limit: Netty's decoder says so in its own words.
    assertThat(listener.closed()).isEqualTo(new WebSocketListener.Closed(1009, "Max frame length of 1024 has been exceeded."));
    awaitReplicaSawEnd("strict", new JsonArray().add(1001).add("the client sent a message over the limit"));

    WebSocketListener fragmented = new WebSocketListener();
    WebSocket inParts = open("strict", fragmented);
    inParts.sendBinary(ByteBuffer.wrap(new byte[600]), false).get(5, TimeUnit.SECONDS);
    inParts.sendBinary(ByteBuffer.wrap(new byte[600]), true).get(5, TimeUnit.SECONDS);

    assertThat(fragmented.closed()).isEqualTo(new WebSocketListener.Closed(1009, "message larger than 1024 bytes"));
    awaitReplicaSawEnd("strict", new JsonArray().add(1001).add("the client sent a message over the limit"));
    awaitNoneInFlight(strict);
  }

  @Test
  void an_app_cannot_raise_the_nodes_message_limit() throws Exception {
    WebSocketListener listener = new WebSocketListener();
    WebSocket socket = open("echo", listener);

    socket.sendBinary(ByteBuffer.wrap(new byte[(int) NODE_MAX_MESSAGE + 1]), true);

    assertThat(listener.closed())
        .isEqualTo(new WebSocketListener.Closed(1009, "Max frame length of " + NODE_MAX_MESSAGE + " has been exceeded."));
    awaitNoneInFlight(echo);
  }

  // --- The session's record ------------------------------------------------------------------------------------------

  /** The session's record, once it has ended, from the admin API. */
  private static JsonObject endedRecord(String requestId) {
    JsonObject[] found = new JsonObject[1];
    await().atMost(Duration.ofSeconds(10)).until(() -> {
      JsonArray records = new JsonObject(node.admin("GET", "/v1/requests?request_id=" + requestId, null).body())
          .getJsonArray("records");
      found[0] = records.isEmpty() ? null : records.getJsonObject(0);
      return found[0] != null;
    });
    return found[0];
  }

  @Test
  void a_sessions_record_says_who_closed_it_with_which_code_and_what_went_across() throws Exception {
    WebSocketListener byClient = new WebSocketListener();
    WebSocket socket = open("echo", byClient, "ws-record-client");
    socket.sendText("one", true).get(5, TimeUnit.SECONDS);
    assertThat(byClient.next()).isEqualTo("one");
    socket.sendBinary(ByteBuffer.wrap(new byte[100]), true).get(5, TimeUnit.SECONDS);
    assertThat((byte[]) byClient.next()).hasSize(100);
    socket.sendClose(WebSocket.NORMAL_CLOSURE, "done here").get(5, TimeUnit.SECONDS);
    assertThat(byClient.closed().code()).isEqualTo(WebSocket.NORMAL_CLOSURE);

    JsonObject closedByClient = endedRecord("ws-record-client");
    assertThat(closedByClient.getString("kind")).isEqualTo("websocket");
    assertThat(closedByClient.getInteger("status")).isEqualTo(101);
    JsonObject session = closedByClient.getJsonObject("websocket");
    assertThat(session.getInteger("close_code")).isEqualTo(1000);
    assertThat(session.getString("closed_by")).isEqualTo("client");
    assertThat(session.getString("close_reason")).isEqualTo("done here");
    assertThat(session.getLong("messages_in")).isEqualTo(2);
    assertThat(session.getLong("bytes_in")).isEqualTo(103);
    // The replica's hello, then the two echoes.
    assertThat(session.getLong("messages_out")).isEqualTo(3);
    assertThat(session.getLong("bytes_out")).isGreaterThan(103);
    assertThat(session.getDouble("session_ms")).isPositive();

    WebSocketListener idle = new WebSocketListener();
    open("strict", idle, "ws-record-idle");
    assertThat(idle.closed()).isEqualTo(new WebSocketListener.Closed(1001, "idle timeout"));

    JsonObject idleSession = endedRecord("ws-record-idle").getJsonObject("websocket");
    assertThat(idleSession.getInteger("close_code")).isEqualTo(1001);
    assertThat(idleSession.getString("closed_by")).isEqualTo("node");
    assertThat(idleSession.getString("close_reason")).isEqualTo("idle timeout");
    assertThat(idleSession.getDouble("session_ms")).as("the app's idle timeout is 1 s").isGreaterThanOrEqualTo(900.0);
    awaitNoneInFlight(strict);
  }

  // --- Either side going away ----------------------------------------------------------------------------------------

  @Test
  void a_replica_that_dies_closes_the_clients_socket_with_1011() throws Exception {
    DeployedApp doomed = node.deployAndAwaitReady(TestNode.appFolder(temp, "doomed", "cerebrium.toml",
        Configs.cerebrium("doomed", 1, 0, "")));
    WebSocketListener listener = new WebSocketListener();
    WebSocket socket = open("doomed", listener, "ws-record-died");
    socket.sendText("before", true).get(5, TimeUnit.SECONDS);
    assertThat(listener.next()).isEqualTo("before");

    // Killed outright: its sockets end without a close frame.
    ProcessHandle.of(stats("doomed").getLong("pid")).orElseThrow().destroyForcibly();

    assertThat(listener.closed()).isEqualTo(new WebSocketListener.Closed(1011, "replica connection lost"));
    awaitNoneInFlight(doomed);
    JsonObject session = endedRecord("ws-record-died").getJsonObject("websocket");
    assertThat(session.getInteger("close_code")).isEqualTo(1011);
    assertThat(session.getString("closed_by")).isEqualTo("node");
  }

  @Test
  void a_client_that_vanishes_has_its_replica_side_closed_with_1001() throws Exception {
    for (boolean reset : List.of(false, true)) {
      Socket raw = rawSocket("echo");
      await().atMost(Duration.ofSeconds(10)).until(() -> stats("echo").getInteger("websockets") == 1);
      if (reset) {
        raw.setSoLinger(true, 0);
      }
      raw.close();

      awaitReplicaSawEnd("echo", new JsonArray().add(1001).add("client went away"));
      awaitNoneInFlight(echo);
    }
  }

  // --- Frames both ways ----------------------------------------------------------------------------------------------

  @Test
  void pings_and_pongs_pass_both_ways() throws Exception {
    WebSocketListener listener = new WebSocketListener();
    WebSocket socket = open("echo", listener);

    socket.sendPing(ByteBuffer.wrap("from the client".getBytes(StandardCharsets.UTF_8))).get(5, TimeUnit.SECONDS);
    assertThat(listener.pongs.poll(10, TimeUnit.SECONDS)).isEqualTo("from the client");
    // The replica pings; Java's client answers with a pong, which the replica reports.
    socket.sendText("!ping from the replica", true).get(5, TimeUnit.SECONDS);
    assertThat(listener.next()).isEqualTo("pong from the replica");

    socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
    assertThat(listener.closed().code()).isEqualTo(WebSocket.NORMAL_CLOSURE);
  }

  @Test
  void close_codes_and_reasons_pass_both_ways() throws Exception {
    WebSocketListener fromClient = new WebSocketListener();
    WebSocket socket = open("echo", fromClient);
    socket.sendClose(4000, "client done").get(5, TimeUnit.SECONDS);
    // The replica got the client's code and reason, and its answer (the same) came back.
    assertThat(fromClient.closed()).isEqualTo(new WebSocketListener.Closed(4000, "client done"));
    awaitReplicaSawEnd("echo", new JsonArray().add(4000).add("client done"));

    WebSocketListener fromReplica = new WebSocketListener();
    open("echo", fromReplica).sendText("!close 4001 server done", true).get(5, TimeUnit.SECONDS);
    assertThat(fromReplica.closed()).isEqualTo(new WebSocketListener.Closed(4001, "server done"));
    awaitNoneInFlight(echo);
  }

  @Test
  void a_one_mebibyte_message_is_echoed_whole() throws Exception {
    WebSocketListener listener = new WebSocketListener();
    WebSocket socket = open("echo", listener);
    byte[] mebibyte = new byte[1 << 20];
    new Random(7).nextBytes(mebibyte);

    socket.sendBinary(ByteBuffer.wrap(mebibyte), true).get(10, TimeUnit.SECONDS);

    assertThat((byte[]) listener.next()).isEqualTo(mebibyte);
    socket.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
    listener.closed();
  }

  // --- A client no one here wrote ------------------------------------------------------------------------------------

  @Test
  void the_npm_ws_client_sees_the_same_echoes_and_close_codes() throws Exception {
    installWsClient();
    Process client = new ProcessBuilder("node", WS_CLIENT.resolve("client.mjs").toString(), wsUrl("echo"),
        wsUrl("strict"), node.apiKey()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String out = new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(client.waitFor(90, TimeUnit.SECONDS)).isTrue();
    assertThat(client.exitValue()).as(out).isZero();

    JsonObject seen = new JsonObject(out.strip());
    assertThat(seen.getJsonObject("hello").getString("path")).isEqualTo("/ws");
    assertThat(seen.getString("text")).isEqualTo("hello from ws");
    assertThat(seen.getBoolean("mebibyteEchoed")).isTrue();
    assertThat(seen.getString("pong")).isEqualTo("from ws");
    assertThat(seen.getString("replicaPing")).isEqualTo("pong from the replica");
    assertThat(seen.getJsonArray("clientClose")).isEqualTo(new JsonArray().add(4000).add("client done"));
    assertThat(seen.getJsonArray("replicaClose")).isEqualTo(new JsonArray().add(4001).add("server done"));
    assertThat(seen.getJsonArray("tooBig").getInteger(0)).isEqualTo(1009);
    assertThat(seen.getJsonArray("idle")).isEqualTo(new JsonArray().add(1001).add("idle timeout"));
    assertThat(seen.getLong("idleMillis")).isBetween(900L, 4000L);
    awaitNoneInFlight(echo);
    awaitNoneInFlight(strict);
  }

  /** The ws package, installed from the lock file into target/ once (again when the lock file changes). */
  private static void installWsClient() throws Exception {
    Files.createDirectories(WS_CLIENT);
    for (String file : List.of("package.json", "client.mjs")) {
      Files.copy(WS_CLIENT_SOURCE.resolve(file), WS_CLIENT.resolve(file), StandardCopyOption.REPLACE_EXISTING);
    }
    Path lock = WS_CLIENT.resolve("package-lock.json");
    byte[] wanted = Files.readAllBytes(WS_CLIENT_SOURCE.resolve("package-lock.json"));
    if (Files.exists(WS_CLIENT.resolve("node_modules/ws/package.json")) && Files.exists(lock)
        && java.util.Arrays.equals(Files.readAllBytes(lock), wanted)) {
      return;
    }
    Files.write(lock, wanted);
    Process npm;
    try {
      npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund").directory(WS_CLIENT.toFile())
          .redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new AssertionError("node and npm are needed for the ws client (`.ci/run` installs them: apt-get install "
          + "nodejs npm)", e);
    }
    String log = new String(npm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(npm.waitFor(180, TimeUnit.SECONDS)).as("npm ci within 3 minutes").isTrue();
    assertThat(npm.exitValue()).as("npm ci: " + log).isZero();
  }

  // --- Scale-down and undeploy ---------------------------------------------------------------------------------------

  @Test
  void a_replica_ordered_to_stop_keeps_its_open_socket_until_the_socket_closes() throws Exception {
    DeployedApp app = node.deployAndAwaitReady(TestNode.appFolder(temp, "draining", "cerebrium.toml",
        withGracePeriod("draining", 30)));
    WebSocketListener listener = new WebSocketListener();
    WebSocket socket = open("draining", listener);
    long pid = stats("draining").getLong("pid");
    ReplicaId replica = app.route().readyReplicas().get(0).id();

    // What the app's decider writes to scale down, as a decider on another node of the fleet writes it: a stop order
    // on the replica's entry in the fleet's registry (FleetReplicaRegistry.orderStop).
    IMap<String, String> registry =
        node.node().fleet().clusterManager().getHazelcastInstance().getMap("sluice.replicas");
    JsonObject placed = new JsonObject(registry.get(replica.toString()));
    registry.set(replica.toString(), placed.put("order", "STOP").put("by", "a-decider-elsewhere").encode());
    await().atMost(Duration.ofSeconds(10)).until(() -> app.drainingNames().contains(replica.name()));

    long ordered = System.nanoTime();
    while (System.nanoTime() - ordered < TimeUnit.SECONDS.toNanos(2)) {
      socket.sendText("still here", true).get(5, TimeUnit.SECONDS);
      assertThat(listener.next()).isEqualTo("still here");
    }
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).contains(true);

    socket.sendClose(WebSocket.NORMAL_CLOSURE, "done").get(5, TimeUnit.SECONDS);
    assertThat(listener.closed()).isEqualTo(new WebSocketListener.Closed(WebSocket.NORMAL_CLOSURE, "done"));
    await().atMost(Duration.ofSeconds(15)).until(() -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
  }

  @Test
  void undeploy_waits_for_an_open_socket_up_to_the_grace_period() throws Exception {
    DeployedApp app = node.deployAndAwaitReady(TestNode.appFolder(temp, "leaving", "cerebrium.toml",
        withGracePeriod("leaving", 3)));
    WebSocketListener listener = new WebSocketListener();
    WebSocket socket = open("leaving", listener);
    long pid = stats("leaving").getLong("pid");

    long asked = System.nanoTime();
    CompletableFuture<HttpResponse<String>> undeployed = CompletableFuture.supplyAsync(() -> {
      try {
        return node.admin("DELETE", "/v1/apps/local/leaving", null);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    await().atMost(Duration.ofSeconds(10)).until(() -> node.get("/v4/local/leaving/stats").statusCode() == 404);

    socket.sendText("still here", true).get(5, TimeUnit.SECONDS);
    assertThat(listener.next()).isEqualTo("still here");
    assertThat(undeployed).isNotDone();

    // Past the grace period the replica is stopped, socket or not: its end reaches the client as a lost replica.
    assertThat(listener.closed()).isEqualTo(new WebSocketListener.Closed(1011, "replica connection lost"));
    assertThat(Duration.ofNanos(System.nanoTime() - asked)).isGreaterThanOrEqualTo(Duration.ofSeconds(3));
    assertThat(undeployed.get(20, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
    awaitNoneInFlight(app);
  }

  private static String withGracePeriod(String name, int graceSeconds) {
    return """
        [cerebrium.deployment]
        name = "%s"

        [cerebrium.runtime.custom]
        port = 5000
        entrypoint = ["python3", "main.py", "--port", "5000"]
        healthcheck_endpoint = "/health"
        readycheck_endpoint = "/ready"

        [cerebrium.scaling]
        min_replicas = 1
        max_replicas = 2
        replica_concurrency = 8
        response_grace_period = %d

        [cerebrium.environment_variables]
        WARMUP_SECONDS = "0"
        """.formatted(name, graceSeconds);
  }

  // --- A raw client, to vanish without a close frame -----------------------------------------------------------------

  private static Socket rawSocket(String app) throws IOException {
    Socket socket = new Socket("127.0.0.1", node.node().publicPort());
    socket.setSoTimeout(10_000);
    socket.getOutputStream().write(("GET /v4/local/" + app + "/ws HTTP/1.1\r\nHost: a\r\n" + node.authLine()
        + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        + "Sec-WebSocket-Version: 13\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    InputStream in = socket.getInputStream();
    StringBuilder head = new StringBuilder();
    while (!head.toString().endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("closed during the handshake: " + head);
      }
      head.append((char) b);
    }
    assertThat(head.toString()).startsWith("HTTP/1.1 101 ");
    // The replica's hello, read so that closing the socket sends a FIN (unread bytes would make it a reset).
    DataInputStream frames = new DataInputStream(in);
    frames.readUnsignedByte();
    int length = frames.readUnsignedByte() & 0x7F;
    if (length == 126) {
      length = frames.readUnsignedShort();
    }
    frames.readFully(new byte[length]);
    return socket;
  }
}

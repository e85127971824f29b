package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.dataplane.apps.DeployedApp;
import io.sluice.dataplane.support.Configs;
import io.sluice.dataplane.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Streamed answers through a live node to a real replica: each part reaches the client while the replica is still
 * writing the answer (it holds back its last part until the test opens a gate, so nothing here depends on timing),
 * and a client that leaves mid-stream ends the replica's request and frees its slot.
 *
 * <p>The replica's own counters ({@code /stats}) and gates ({@code /control/release}) are read on the replica's port,
 * not through the node, so that they are not themselves requests in flight on the app.
 */
class StreamingEndToEndTest {

  private static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir
  static Path temp;

  static TestNode node;
  static DeployedApp hello;

  @BeforeAll
  static void startNodeWithApp() throws Exception {
    node = TestNode.start(temp.resolve("state"));
    hello = node.deployAndAwaitReady(TestNode.appFolder(temp, "hello", "cerebrium.toml",
        Configs.cerebrium("hello", 1, 0, "")));
  }

  @AfterAll
  static void stopNode() throws Exception {
    node.close();
  }

  @AfterEach
  void everyStreamHasEndedAtTheReplicaAndTheNode() {
    await().atMost(WAIT).untilAsserted(() -> {
      assertThat(replicaStats().getInteger("streaming")).isZero();
      assertThat(hello.route().inFlight()).isZero();
    });
  }

  /** What a streaming endpoint of the example server sends: {@code part} formats the start of part {@code i}. */
  record Streamed(String what, String path, String contentType, String delimiter, String part) {
    @Override
    public String toString() {
      return what;
    }
  }

  static List<Streamed> streams() {
    return List.of(
        new Streamed("server-sent events", "/events?count=3", "text/event-stream", "\n\n", "id: %d\ndata: {"),
        new Streamed("a chunked text stream", "/stream?chunks=3", "text/plain", "\n", "chunk %d\n"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("streams")
  void each_part_reaches_the_client_while_the_replica_still_holds_back_the_last(Streamed stream) throws Exception {
    String gate = UUID.randomUUID().toString();

    try (ArrivingAnswer answer = ArrivingAnswer.get(node, "/v4/local/hello" + stream.path() + "&hold=" + gate,
        "stream-" + gate)) {
      assertThat(answer.status()).isEqualTo(200);
      assertThat(answer.header("content-type")).isEqualTo(stream.contentType());
      assertThat(answer.header("content-length")).isNull();
      assertThat(answer.header("transfer-encoding")).isEqualTo("chunked");
      assertThat(answer.header("x-request-id")).isEqualTo("stream-" + gate);
      // A node that buffered the answer would have nothing to give here until the gate opens: the read times out.
      assertThat(answer.next(stream.delimiter())).startsWith(stream.part().formatted(0));
      assertThat(answer.next(stream.delimiter())).startsWith(stream.part().formatted(1));
      assertThat(replicaStats().getInteger("streaming")).as("the replica is still inside the answer").isEqualTo(1);

      release(gate);

      assertThat(answer.next(stream.delimiter())).startsWith(stream.part().formatted(2));
      assertThat(answer.next(stream.delimiter())).as("the body ends after the last part").isNull();
    }
  }

  @Test
  void the_answers_head_reaches_the_client_while_the_replica_holds_back_all_of_its_body() throws Exception {
    String gate = UUID.randomUUID().toString();

    // A head that waited for the body to go out with it would not arrive before the gate opens: the read times out.
    try (ArrivingAnswer answer = ArrivingAnswer.get(node, "/v4/local/hello/stream?chunks=1&hold=" + gate,
        "head-" + gate)) {
      assertThat(answer.status()).isEqualTo(200);
      assertThat(answer.header("x-request-id")).isEqualTo("head-" + gate);
      assertThat(replicaStats().getInteger("streaming")).as("the replica has not sent its body").isEqualTo(1);

      release(gate);

      assertThat(answer.next("\n")).isEqualTo("chunk 0\n");
      assertThat(answer.next("\n")).isNull();
    }
  }

  /** A client that leaves while the replica is in one state or another of a streamed answer. */
  record Leaving(String what, String path, String delimiter) {
    @Override
    public String toString() {
      return what;
    }
  }

  static List<Leaving> leavings() {
    return List.of(
        new Leaving("server-sent events, the replica waiting to send more", "/events?count=3&hold=never", "\n\n"),
        new Leaving("server-sent events, the replica writing", "/events?count=100000&delay_ms=10", "\n\n"),
        new Leaving("a chunked stream, the replica waiting to send more", "/stream?chunks=3&hold=never", "\n"),
        new Leaving("a chunked stream, the replica writing", "/stream?chunks=100000&delay_ms=10", "\n"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("leavings")
  void a_client_that_leaves_mid_stream_ends_the_replicas_request_and_frees_its_slot(Leaving leaving)
      throws Exception {
    int goneBefore = replicaStats().getInteger("client_gone");
    try (ArrivingAnswer answer = ArrivingAnswer.get(node, "/v4/local/hello" + leaving.path(), "leaving")) {
      assertThat(answer.next(leaving.delimiter())).isNotNull();
      assertThat(hello.route().inFlight()).isEqualTo(1);
      await().atMost(WAIT).untilAsserted(() -> assertThat(fleetInFlight()).isEqualTo(1));

      answer.close();

      // Had the node kept the replica's connection, the replica would write on (or wait) for minutes, never failing.
      await().atMost(WAIT).untilAsserted(() -> {
        JsonObject stats = replicaStats();
        assertThat(stats.getInteger("client_gone")).as("streams the replica saw cut short").isEqualTo(goneBefore + 1);
        assertThat(stats.getInteger("streaming")).isZero();
      });
      await().atMost(WAIT).untilAsserted(() -> assertThat(hello.route().inFlight()).isZero());
      await().atMost(WAIT).untilAsserted(() -> assertThat(fleetInFlight()).as("published to the fleet").isZero());
    }
    assertThat(node.post("/v4/local/hello/predict", "{}").statusCode()).as("the app still answers").isEqualTo(200);
  }

  // --- helpers ---------------------------------------------------------------------------------------------------------

  /** {@code fleet.in_flight} of the admin API's metrics for outside autoscalers, published every second. */
  @Test
  void a_client_that_stops_reading_holds_the_replica_back_rather_than_filling_the_node() throws Exception {
    int chunks = 2048;
    int pad = 65_536;
    long whole = 0;
    for (int i = 0; i < chunks; i++) {
      whole += ("chunk " + i).length() + pad + 1;
    }
    long before = replicaStats().getLong("streamed_bytes");

    try (ArrivingAnswer answer = ArrivingAnswer.get(node, "/v4/local/hello/stream?chunks=" + chunks + "&pad=" + pad,
        UUID.randomUUID().toString())) {
      assertThat(answer.status()).isEqualTo(200);
      // The client reads nothing more: the replica's writes stop once the buffers between them are full.
      long[] written = {-1};
      await().atMost(WAIT).pollInterval(Duration.ofMillis(250)).until(() -> {
        long now = replicaStats().getLong("streamed_bytes") - before;
        boolean stalled = now == written[0];
        written[0] = now;
        return stalled;
      });

      assertThat(written[0]).as("what the replica could write of %d bytes while the client read nothing", whole)
          .isLessThan(whole / 4);
      assertThat(answer.drain()).as("reading on, the whole answer arrives").isEqualTo(whole);
    }
  }

  private static int fleetInFlight() throws Exception {
    return node.adminJson("/v1/apps/local/hello/metrics").getJsonObject("fleet").getInteger("in_flight");
  }

  private static String replicaUrl() {
    InetSocketAddress address = hello.route().readyReplicas().get(0).socketAddress();
    return "http://" + address.getHostString() + ":" + address.getPort();
  }

  private static JsonObject replicaStats() throws Exception {
    return new JsonObject(node.send(HttpRequest.newBuilder(URI.create(replicaUrl() + "/stats")).build()).body());
  }

  private static void release(String gate) throws Exception {
    assertThat(node.send(HttpRequest.newBuilder(URI.create(replicaUrl() + "/control/release?gate=" + gate)).build())
        .statusCode()).isEqualTo(200);
  }

  /**
   * A GET on a socket of its own whose answer is read as it arrives: the head, then the chunked body up to a
   * delimiter at a time. Every read gives up after 10 s. Closing it is the client going away.
   */
  static final class ArrivingAnswer implements AutoCloseable {
    private final Socket socket;
    private final InputStream in;
    private final Map<String, String> headers = new HashMap<>();
    private final ByteArrayOutputStream arrived = new ByteArrayOutputStream();
    private int status;
    private boolean ended;

    private ArrivingAnswer(Socket socket) throws IOException {
      this.socket = socket;
      this.in = new BufferedInputStream(socket.getInputStream());
    }

    static ArrivingAnswer get(TestNode node, String path, String requestId) throws IOException {
      Socket socket = new Socket("127.0.0.1", node.node().publicPort());
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n" + node.authLine()
          + "Accept: text/event-stream\r\nX-Request-Id: " + requestId + "\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      ArrivingAnswer answer = new ArrivingAnswer(socket);
      answer.readHead();
      return answer;
    }

    int status() {
      return status;
    }

    String header(String name) {
      return headers.get(name);
    }

    /** The body up to and including the next {@code delimiter}; null once the body ended without another. */
    String next(String delimiter) throws IOException {
      while (true) {
        String text = arrived.toString(StandardCharsets.UTF_8);
        int at = text.indexOf(delimiter);
        if (at >= 0) {
          arrived.reset();
          arrived.writeBytes(text.substring(at + delimiter.length()).getBytes(StandardCharsets.UTF_8));
          return text.substring(0, at + delimiter.length());
        }
        if (ended) {
          return null;
        }
        readChunk();
      }
    }

    /** Reads the rest of the body, keeping none of it: how many bytes it had. */
    long drain() throws IOException {
      long bytes = arrived.size();
      arrived.reset();
      while (!ended) {
        int size = Integer.parseInt(line().split(";")[0].trim(), 16);
        if (size == 0) {
          while (!line().isEmpty()) {
            // trailers, if any
          }
          ended = true;
        } else {
          in.skipNBytes(size);
          bytes += size;
          line();
        }
      }
      return bytes;
    }

    private void readHead() throws IOException {
      String statusLine = line();
      status = Integer.parseInt(statusLine.split(" ")[1]);
      for (String line; !(line = line()).isEmpty(); ) {
        int colon = line.indexOf(':');
        headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
      }
    }

    private void readChunk() throws IOException {
      int size = Integer.parseInt(line().split(";")[0].trim(), 16);
      if (size == 0) {
        while (!line().isEmpty()) {
          // trailers, if any
        }
        ended = true;
        return;
      }
      byte[] data = in.readNBytes(size);
      if (data.length < size) {
        throw new EOFException("the answer ended inside a chunk");
      }
      arrived.writeBytes(data);
      line();
    }

    private String line() throws IOException {
      StringBuilder line = new StringBuilder();
      for (int b; (b = in.read()) != '\n'; ) {
        if (b < 0) {
          throw new EOFException("the connection closed; read so far: " + line);
        }
        line.append((char) b);
      }
      return line.toString().stripTrailing();
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}

package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.config.ClientLimits;
import io.sluice.dataplane.support.Configs;
import io.sluice.dataplane.support.RawHttp;
import io.sluice.dataplane.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile and broken input against a live node with tight limits: each gets its status (or a close), the node keeps
 * serving a well-behaved client throughout, and what it holds for abandoned connections goes away.
 */
class HostileInputTest {

  private static final long MAX_BODY = 64 * 1024;
  private static final Duration HEADER_TIMEOUT = Duration.ofMillis(1000);
  private static final Duration BODY_IDLE = Duration.ofMillis(1000);
  private static final Duration KEEP_ALIVE = Duration.ofMillis(1500);

  @TempDir
  static Path temp;

  static TestNode node;
  static int port;

  @BeforeAll
  static void startNode() throws Exception {
    ClientLimits limits = ClientLimits.defaults().withMaxBodyBytes(MAX_BODY).withMaxHeaderCount(30)
        .withTimeouts(HEADER_TIMEOUT, BODY_IDLE, KEEP_ALIVE).withMaxConnections(12_000);
    node = TestNode.start(TestNode.options(temp.resolve("state")).limits(limits).build());
    port = node.node().publicPort();
    node.deployAndAwaitReady(TestNode.appFolder(temp, "hello", "cerebrium.toml",
        Configs.cerebrium("hello", 1, 0, "")));
    node.deployAndAwaitReady(TestNode.appFolder(temp, "other", "cerebrium.toml",
        Configs.cerebrium("other", 1, 0, "")));
  }

  @AfterAll
  static void stopNode() throws Exception {
    node.close();
  }

  record Refusal(String what, String request, int status, String code) {}

  @Test
  void oversized_and_malformed_requests_get_a_4xx_with_a_json_error() throws Exception {
    String auth = node.authLine();
    String chunked100k = "1000\r\n" + "x".repeat(4096) + "\r\n";
    List<Refusal> refusals = List.of(
        new Refusal("request line too long", "GET /v4/local/hello/echo?" + "q".repeat(9000) + " HTTP/1.1\r\nHost: a\r\n"
            + auth + "\r\n", 414, "uri_too_long"),
        new Refusal("header block too large", "GET /v4/local/hello/echo HTTP/1.1\r\nHost: a\r\n" + auth
            + "X-Big: " + "b".repeat(20_000) + "\r\n\r\n", 431, "headers_too_large"),
        new Refusal("too many header fields", "GET /v4/local/hello/echo HTTP/1.1\r\nHost: a\r\n" + auth
            + manyHeaders(40) + "\r\n", 431, "headers_too_large"),
        new Refusal("Content-Length over the limit", "POST /v4/local/hello/echo HTTP/1.1\r\nHost: a\r\n" + auth
            + "Content-Length: " + (MAX_BODY + 1) + "\r\n\r\n" + "y".repeat((int) MAX_BODY + 1), 413,
            "body_too_large"),
        new Refusal("chunked body over the limit", "POST /v4/local/hello/echo HTTP/1.1\r\nHost: a\r\n" + auth
            + "Transfer-Encoding: chunked\r\n\r\n" + chunked100k.repeat(20) + "0\r\n\r\n", 413, "body_too_large"),
        new Refusal("not HTTP at all", "GARBAGE\r\n\r\n", 400, "malformed_request"),
        new Refusal("two different Content-Lengths", "POST /v4/local/hello/echo HTTP/1.1\r\nHost: a\r\n" + auth
            + "Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400, "malformed_request"),
        new Refusal("a broken chunk size", "POST /v4/local/hello/echo HTTP/1.1\r\nHost: a\r\n" + auth
            + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nmore\r\n0\r\n\r\n", 400, "malformed_request"));

    SoftAssertions softly = new SoftAssertions();
    for (Refusal refusal : refusals) {
      String answer = RawHttp.exchange(port, refusal.request());
      softly.assertThat(answer).as(refusal.what()).startsWith("HTTP/1.1 " + refusal.status() + " ")
          .containsIgnoringCase("connection: close");
      if (answer.contains("\r\n\r\n")) {
        softly.assertThat(answer.substring(answer.indexOf("\r\n\r\n") + 4)).as(refusal.what())
            .contains("\"code\":\"" + refusal.code() + "\"");
      }
    }
    softly.assertAll();
    assertThat(node.get("/v4/local/hello/echo").statusCode()).isEqualTo(200);
  }

  record PathCase(String path, int status) {}

  @Test
  void path_tricks_never_reach_another_app_or_outside_the_apps_paths() throws Exception {
    List<PathCase> cases = List.of(
        new PathCase("/v4/local/hello/../other/echo", 400),
        new PathCase("/v4/local/hello/%2e%2e/other/echo", 400),
        new PathCase("/v4/local/hello/%2E%2E/other/echo", 400),
        new PathCase("/v4/local/hello/..%2fother/echo", 400),
        new PathCase("/v4/local/hello/..;/other/echo", 400),
        new PathCase("/v4/local/hello/.;x/echo", 400),
        new PathCase("/v4/local/hello/a%5c..%5cother", 400),
        new PathCase("/v4/local/hello/%c0%ae%c0%ae/other/echo", 400),
        new PathCase("/v4/local/hello/%e0%80%ae/echo", 400),
        new PathCase("/v4/local/hello/%zz/echo", 400),
        new PathCase("/v4/local/hello/echo%", 400),
        new PathCase("/v4/local/hello/echo%00", 400),
        new PathCase("/v4/local/hello/echo#/../../other/echo", 400),
        new PathCase("/v4/local/hello%2f..%2fother/echo", 404),
        new PathCase("/v4/local/./hello/echo", 404),
        new PathCase("/v4/local//hello/echo", 404),
        new PathCase("/v4/local/HELLO/echo", 404),
        new PathCase("//v4/local/other/echo", 404),
        new PathCase("/v4/./local/other/echo", 404),
        new PathCase("/v4/local/hello//echo", 200),
        new PathCase("/v4/local/hello///echo?x=1", 200));

    SoftAssertions softly = new SoftAssertions();
    for (PathCase c : cases) {
      String answer = RawHttp.exchange(port, "GET " + c.path() + " HTTP/1.1\r\nHost: a\r\n" + node.authLine()
          + "Connection: close\r\n\r\n");
      softly.assertThat(answer).as(c.path()).startsWith("HTTP/1.1 " + c.status() + " ");
      if (c.status() == 200) {
        JsonObject echoed = new JsonObject(answer.substring(answer.indexOf("\r\n\r\n") + 4));
        softly.assertThat(echoed.getString("path")).as(c.path()).isEqualTo("/echo");
        softly.assertThat(echoed.getString("replica")).as(c.path()).startsWith("hello-");
      }
    }
    softly.assertAll();
  }

  @Test
  void a_client_trickling_its_request_head_gets_408_and_is_cut_off_while_others_are_served() throws Exception {
    try (Socket slow = new Socket("127.0.0.1", port)) {
      slow.setSoTimeout(10_000);
      byte[] head = ("GET /v4/local/hello/echo HTTP/1.1\r\nHost: a\r\n" + node.authLine() + "X-Pad: "
          + "p".repeat(200) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
      long started = System.nanoTime();
      ScheduledFuture<?> trickle = trickle(slow.getOutputStream(), head, 50);

      assertThat(node.get("/v4/local/hello/echo").statusCode()).isEqualTo(200);
      String answer = readUntilClosed(slow.getInputStream());
      long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
      trickle.cancel(false);

      assertThat(answer).startsWith("HTTP/1.1 408 ").contains("\"request_timeout\"");
      assertThat(tookMillis).as("cut off about the header timeout after it began, long before its end")
          .isBetween(HEADER_TIMEOUT.toMillis() - 100, HEADER_TIMEOUT.toMillis() * 3);
    }
  }

  @Test
  void a_stalled_body_gets_408_and_the_connection_closes() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(("POST /v4/local/hello/echo HTTP/1.1\r\nHost: a\r\n" + node.authLine()
          + "Content-Length: 1000\r\n\r\nonly-this").getBytes(StandardCharsets.US_ASCII));
      long started = System.nanoTime();

      String answer = readUntilClosed(socket.getInputStream());

      assertThat(answer).startsWith("HTTP/1.1 408 ").contains("\"request_timeout\"").contains("stalled");
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started))
          .isBetween(BODY_IDLE.toMillis() - 100, BODY_IDLE.toMillis() * 3);
    }
  }

  @Test
  void a_body_trickled_a_few_bytes_at_a_time_is_cut_off_for_its_rate() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(("POST /v4/local/hello/echo HTTP/1.1\r\nHost: a\r\n" + node.authLine()
          + "Content-Length: 10000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      ScheduledFuture<?> trickle = trickle(out, "z".repeat(200).getBytes(StandardCharsets.US_ASCII), 100);

      String answer = readUntilClosed(socket.getInputStream());
      trickle.cancel(false);

      assertThat(answer).startsWith("HTTP/1.1 408 ").contains("slower than");
    }
  }

  @Test
  void an_idle_keep_alive_connection_is_closed_after_its_timeout() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(("GET /v4/local/hello/echo HTTP/1.1\r\nHost: a\r\n" + node.authLine() + "\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      long started = System.nanoTime();

      String answer = readUntilClosed(socket.getInputStream());

      assertThat(answer).startsWith("HTTP/1.1 200 ").as("closed silently, with no 408").doesNotContain("HTTP/1.1 408");
      assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started))
          .isBetween(KEEP_ALIVE.toMillis() - 100, KEEP_ALIVE.toMillis() * 3);
    }
  }

  @Test
  void ten_thousand_abandoned_connections_do_not_stop_a_well_behaved_client_and_are_let_go() throws Exception {
    int flood = 10_000;
    Path script = temp.resolve("abandon_connections.py");
    try (InputStream in = HostileInputTest.class.getResourceAsStream("/abandon_connections.py")) {
      Files.copy(in, script);
    }
    long heapBefore = usedHeapAfterGc();
    Process attacker = new ProcessBuilder("python3", script.toString(), Integer.toString(port),
        Integer.toString(flood)).redirectErrorStream(true).start();
    BufferedReader lines = new BufferedReader(new InputStreamReader(attacker.getInputStream()));
    AtomicInteger served = new AtomicInteger();
    AtomicBoolean flooding = new AtomicBoolean(true);
    List<Integer> statuses = new ArrayList<>();
    CompletableFuture<Void> wellBehaved = CompletableFuture.runAsync(() -> {
      while (flooding.get()) {
        try {
          HttpResponse<String> response = node.get("/v4/local/hello/echo");
          synchronized (statuses) {
            statuses.add(response.statusCode());
          }
          served.incrementAndGet();
        } catch (Exception e) {
          synchronized (statuses) {
            statuses.add(-1);
          }
        }
      }
    });
    try {
      String opened = lines.readLine();
      assertThat(opened).isEqualTo("opened " + flood);
      long heapWithFlood = usedHeapAfterGc();

      await().atMost(Duration.ofSeconds(20)).until(() -> node.node().openConnections() <= 5);
      int servedDuringFlood = served.get();
      flooding.set(false);
      wellBehaved.get(30, TimeUnit.SECONDS);

      attacker.getOutputStream().close();
      String closed = lines.readLine();
      assertThat(closed).isEqualTo("closed_by_server " + flood);
      assertThat(servedDuringFlood).isGreaterThan(10);
      synchronized (statuses) {
        assertThat(statuses).as("every request of the well-behaved client was answered 200").containsOnly(200);
      }
      assertThat(heapWithFlood - heapBefore).as("heap per abandoned connection is bounded")
          .isLessThan(flood * 16L * 1024);
      assertThat(usedHeapAfterGc() - heapBefore).as("and goes back when they are let go")
          .isLessThan(32L << 20);
    } finally {
      flooding.set(false);
      attacker.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void beyond_its_connection_limit_a_node_answers_503_with_retry_after_and_keeps_its_own_clients()
      throws Exception {
    ClientLimits limits = ClientLimits.defaults().withMaxConnections(3);
    try (TestNode small = TestNode.start(TestNode.options(temp.resolve("small")).limits(limits).build())) {
      int smallPort = small.node().publicPort();
      List<Socket> held = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          held.add(new Socket("127.0.0.1", smallPort));
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> small.node().openConnections() == 3);

        String refused = RawHttp.exchange(smallPort, "GET /v4/local/x/y HTTP/1.1\r\nHost: a\r\n\r\n");

        assertThat(refused).startsWith("HTTP/1.1 503 ").containsIgnoringCase("retry-after: 1")
            .contains("\"too_many_connections\"");
        held.get(0).close();
        await().atMost(Duration.ofSeconds(5)).until(() -> small.node().openConnections() == 2);
        assertThat(RawHttp.exchange(smallPort, "GET /v4/local/x/y HTTP/1.1\r\nHost: a\r\n" + small.authLine()
            + "Connection: close\r\n\r\n")).startsWith("HTTP/1.1 404 ");
      } finally {
        for (Socket socket : held) {
          socket.close();
        }
      }
    }
  }

  // --- helpers ---------------------------------------------------------------------------------------------------------

  private static final ScheduledExecutorService SLOW_CLIENTS = Executors.newSingleThreadScheduledExecutor(job -> {
    Thread thread = new Thread(job, "slow-client");
    thread.setDaemon(true);
    return thread;
  });

  /** Writes the bytes one at a time, one every {@code periodMillis}, as a slow client would; stops when cut off. */
  private static ScheduledFuture<?> trickle(OutputStream out, byte[] bytes, long periodMillis) {
    AtomicInteger next = new AtomicInteger();
    // A task that throws is not run again: the trickle ends when the node cuts the client off, or when all is sent.
    return SLOW_CLIENTS.scheduleAtFixedRate(() -> {
      int at = next.getAndIncrement();
      try {
        if (at >= bytes.length) {
          throw new IOException("all sent");
        }
        out.write(bytes[at]);
        out.flush();
      } catch (IOException cutOffOrDone) {
        throw new IllegalStateException(cutOffOrDone);
      }
    }, 0, periodMillis, TimeUnit.MILLISECONDS);
  }

  private static String manyHeaders(int count) {
    StringBuilder headers = new StringBuilder();
    for (int i = 0; i < count; i++) {
      headers.append("X-H").append(i).append(": v\r\n");
    }
    return headers.toString();
  }

  /** Everything the server sends until it closes; fails when the server keeps the connection open for 10 s. */
  private static String readUntilClosed(InputStream in) throws IOException {
    ByteArrayOutputStream answer = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    try {
      for (int n; (n = in.read(buffer)) > 0; ) {
        answer.write(buffer, 0, n);
      }
    } catch (SocketException reset) {
      // A reset after the answer still counts as closed; the assertions look at what arrived.
    } catch (SocketTimeoutException e) {
      throw new AssertionError("the server kept the connection open; got so far: " + answer, e);
    }
    return answer.toString(StandardCharsets.ISO_8859_1);
  }

  private static long usedHeapAfterGc() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}

package io.sluice.dataplane.replica.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.net.NetServer;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ReplicaProbeTest {

  private static final long TIMEOUT_MILLIS = 300;

  static Vertx vertx;
  static HttpServer replica;
  static NetServer notHttp;
  static NetServer untilClose;
  static ReplicaProbe probe;
  static final AtomicInteger openConnections = new AtomicInteger();
  static final List<String> connectionHeaders = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    replica = vertx.createHttpServer()
        .connectionHandler(connection -> {
          openConnections.incrementAndGet();
          connection.closeHandler(v -> openConnections.decrementAndGet());
        })
        .requestHandler(request -> {
          connectionHeaders.add(String.valueOf(request.getHeader("connection")));
          switch (request.path()) {
            case "/ok" -> request.response().end("ok");
            case "/big" -> request.response().setChunked(true).end(Buffer.buffer(new byte[256 * 1024]));
            case "/unwell" -> request.response().setStatusCode(503).end("{\"status\":\"unwell\"}");
            case "/moved" -> request.response().setStatusCode(302).putHeader("location", "/ok").end();
            case "/hang" -> { } // never answers
            default -> request.response().setStatusCode(404).end();
          }
        })
        .listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    notHttp = vertx.createNetServer()
        .connectHandler(socket -> socket.write("SSH-2.0-OpenSSH_9.2\r\n\r\n"))
        .listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    untilClose = vertx.createNetServer()
        .connectHandler(socket -> socket.handler(request -> {
          if (request.toString().startsWith("GET /garbled ")) {
            socket.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nnot-a-size\r\n")
                .onComplete(written -> socket.close());
            return;
          }
          String status = request.toString().startsWith("GET /ok ") ? "200 OK" : "503 Service Unavailable";
          socket.write("HTTP/1.0 " + status + "\r\nContent-Type: text/plain\r\n\r\nbody until close")
              .onComplete(written -> socket.close());
        }))
        .listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    probe = new ReplicaProbe(vertx.getOrCreateContext(), TIMEOUT_MILLIS);
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private static boolean check(int port, String path) throws Exception {
    return probe.check(port, Optional.ofNullable(path)).await(10, TimeUnit.SECONDS);
  }

  @Test
  void a_2xx_answer_passes_however_long_its_body() throws Exception {
    assertThat(check(replica.actualPort(), "/ok")).isTrue();
    assertThat(check(replica.actualPort(), "/big")).isTrue();
  }

  @Test
  void an_answer_whose_body_ends_with_the_connection_is_judged_by_its_status() throws Exception {
    assertThat(check(untilClose.actualPort(), "/ok")).isTrue();
    assertThat(check(untilClose.actualPort(), "/unwell")).isFalse();
  }

  @Test
  void a_2xx_head_with_a_garbled_body_fails() throws Exception {
    assertThat(check(untilClose.actualPort(), "/garbled")).isFalse();
  }

  @Test
  void any_other_status_fails() throws Exception {
    assertThat(check(replica.actualPort(), "/unwell")).isFalse();
    assertThat(check(replica.actualPort(), "/moved")).isFalse();
    assertThat(check(replica.actualPort(), "/missing")).isFalse();
  }

  @Test
  void a_replica_that_never_answers_fails_once_the_timeout_has_passed() throws Exception {
    long started = System.nanoTime();

    assertThat(check(replica.actualPort(), "/hang")).isFalse();

    assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(TIMEOUT_MILLIS));
  }

  @Test
  void a_port_that_does_not_speak_http_or_is_not_open_fails() throws Exception {
    assertThat(check(notHttp.actualPort(), "/ok")).isFalse();
    int closed = closedPort();
    assertThat(check(closed, "/ok")).isFalse();
    assertThat(check(closed, null)).isFalse();
  }

  @Test
  void without_a_path_an_open_port_passes() throws Exception {
    assertThat(check(notHttp.actualPort(), null)).isTrue();
  }

  @Test
  void every_probe_asks_for_its_connection_to_close_and_leaves_none_open() throws Exception {
    for (int i = 0; i < 20; i++) {
      check(replica.actualPort(), i % 2 == 0 ? "/ok" : "/unwell");
    }

    assertThat(connectionHeaders).isNotEmpty().allMatch("close"::equalsIgnoreCase);
    await().atMost(Duration.ofSeconds(10)).until(() -> openConnections.get() == 0);
  }

  private static int closedPort() throws Exception {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }
}

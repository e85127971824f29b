package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.dataplane.support.Configs;
import io.sluice.dataplane.support.RawHttp;
import io.sluice.dataplane.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** HTTP/1.1 as clients really speak it, byte for byte, through a real node to a real replica. */
class ProxyProtocolTest {

  @TempDir
  static Path temp;

  static TestNode node;
  static int port;

  @BeforeAll
  static void startNodeWithApp() throws Exception {
    node = TestNode.start(temp.resolve("state"));
    node.deployAndAwaitReady(TestNode.appFolder(temp, "hello", "cerebrium.toml",
        Configs.cerebrium("hello", 1, 0, "")));
    port = node.node().publicPort();
  }

  @AfterAll
  static void stopNode() throws Exception {
    node.close();
  }

  @Test
  void pipelined_requests_are_answered_in_order_each_with_its_own_request_id() throws Exception {
    String answer = RawHttp.exchange(port,
        "GET /v4/local/hello/echo?n=1 HTTP/1.1\r\nHost: a\r\n" + node.authLine() + "X-Request-Id: first\r\n\r\n"
            + "POST /v4/local/hello/echo?n=2 HTTP/1.1\r\nHost: a\r\n" + node.authLine() + "X-Request-Id: second\r\n"
            + "Content-Length: 5\r\n\r\nhello"
            + "GET /v4/local/hello/echo?n=3 HTTP/1.1\r\nHost: a\r\n" + node.authLine() + "X-Request-Id: third\r\nConnection: close\r\n\r\n");

    List<String> bodies = bodiesOf(answer);
    assertThat(bodies).hasSize(3);
    for (int i = 0; i < 3; i++) {
      JsonObject echoed = new JsonObject(bodies.get(i));
      assertThat(echoed.getString("query")).isEqualTo("n=" + (i + 1));
      assertThat(echoed.getJsonObject("headers").getString("x-request-id"))
          .isEqualTo(new String[] {"first", "second", "third"}[i]);
    }
    assertThat(new JsonObject(bodies.get(1)).getString("body")).isEqualTo("hello");
  }

  @Test
  void a_chunked_request_body_reaches_the_replica_whole() throws Exception {
    String answer = RawHttp.exchange(port, "POST /v4/local/hello/echo HTTP/1.1\r\nHost: a\r\n" + node.authLine() + ""
        + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");

    assertThat(answer).startsWith("HTTP/1.1 200");
    JsonObject echoed = new JsonObject(bodiesOf(answer).get(0));
    assertThat(echoed.getString("body")).isEqualTo("hello world");
    assertThat(echoed.getJsonObject("headers").getString("transfer-encoding")).isEqualTo("chunked");
  }

  @Test
  void a_streamed_answer_arrives_chunk_by_chunk_with_nothing_lost() throws Exception {
    HttpResponse<String> response = node.get("/v4/local/hello/stream?chunks=50");

    assertThat(response.statusCode()).isEqualTo(200);
    StringBuilder expected = new StringBuilder();
    for (int i = 0; i < 50; i++) {
      expected.append("chunk ").append(i).append('\n');
    }
    assertThat(response.body()).isEqualTo(expected.toString());
    assertThat(response.headers().firstValue("X-Request-Id")).isPresent();
  }

  @Test
  void expect_100_continue_gets_continue_then_the_answer() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(15_000);
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      out.write(("POST /v4/local/hello/echo HTTP/1.1\r\nHost: a\r\n" + node.authLine() + "Content-Length: 4\r\n"
          + "Expect: 100-continue\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      String interim = readUntil(in, "\r\n\r\n");
      assertThat(interim).startsWith("HTTP/1.1 100 Continue");

      out.write("ping".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      String answer = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      assertThat(answer).startsWith("HTTP/1.1 200");
      JsonObject echoed = new JsonObject(bodiesOf(answer).get(0));
      assertThat(echoed.getString("body")).isEqualTo("ping");
      assertThat(echoed.getJsonObject("headers").fieldNames()).doesNotContain("expect");
    }
  }

  @Test
  void a_replica_that_answers_from_the_head_alone_is_heard_while_the_body_is_still_on_its_way() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(15_000);
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      // A first request leaves a connection to the replica in the pool of this connection's event loop, so that the
      // second is forwarded at once, inside the read that brought it.
      out.write(("GET /v4/local/hello/echo HTTP/1.1\r\nHost: a\r\n" + node.authLine() + "\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      assertThat(readUntil(in, "}\n")).startsWith("HTTP/1.1 200");
      // The head, and none of its body: the replica answers without it, as a server turning an upload away does.
      out.write(("POST /v4/local/hello/early HTTP/1.1\r\nHost: a\r\n" + node.authLine() + "Content-Length: 100\r\n"
          + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.flush();

      String answer = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      assertThat(answer).startsWith("HTTP/1.1 200");
      // The rest of the body could not be told apart from a next request: the connection ends with the answer.
      assertThat(answer.toLowerCase()).contains("connection: close");
      JsonObject answered = new JsonObject(bodiesOf(answer).get(0));
      assertThat(answered.getBoolean("body_read")).isFalse();
      assertThat(answered.getString("content_length")).isEqualTo("100");
    }
  }

  @Test
  void an_http_1_0_client_gets_a_whole_answer_and_the_connection_closes() throws Exception {
    String answer = RawHttp.exchange(port, "GET /v4/local/hello/stream?chunks=3 HTTP/1.0\r\nHost: a\r\n" + node.authLine() + "\r\n");

    assertThat(answer).startsWith("HTTP/1.1 200");
    assertThat(answer.toLowerCase()).doesNotContain("transfer-encoding");
    assertThat(answer).endsWith("chunk 0\nchunk 1\nchunk 2\n");
  }

  @Test
  void head_gets_the_headers_and_no_body() throws Exception {
    String answer = RawHttp.exchange(port,
        "HEAD /v4/local/hello/echo HTTP/1.1\r\nHost: a\r\n" + node.authLine() + "\r\n"
            + "GET /v4/local/hello/echo?after=head HTTP/1.1\r\nHost: a\r\n" + node.authLine() + "Connection: close\r\n\r\n");

    assertThat(answer).startsWith("HTTP/1.1 200");
    // The HEAD answer has a Content-Length but no body: the next bytes are the GET's answer.
    int second = answer.indexOf("HTTP/1.1 200", 1);
    assertThat(second).isPositive();
    assertThat(answer.substring(0, second)).endsWith("\r\n\r\n").containsIgnoringCase("content-length");
    assertThat(answer.substring(second)).contains("\"after=head\"");
  }

  @Test
  void headers_larger_than_the_limit_get_431_as_json() throws Exception {
    String answer = RawHttp.exchange(port, "GET /v4/local/hello/echo HTTP/1.1\r\nHost: a\r\n" + node.authLine() + ""
        + "X-Big: " + "x".repeat(20_000) + "\r\nConnection: close\r\n\r\n");

    assertThat(answer).startsWith("HTTP/1.1 431");
    JsonObject error = new JsonObject(bodiesOf(answer).get(0)).getJsonObject("error");
    assertThat(error.getString("code")).isEqualTo("headers_too_large");
    assertThat(error.getString("request_id")).isNotBlank();
  }

  @Test
  void a_header_name_that_is_not_a_token_gets_400_as_json_even_one_sluice_itself_sets() throws Exception {
    // Names Sluice writes are not checked again when it writes them; one that arrives is, whatever it spells.
    for (String name : List.of("X-Request\"Id", "x-forwarded-for\u0001", "Bad Name")) {
      String answer = RawHttp.exchange(port, "GET /v4/local/hello/echo HTTP/1.1\r\nHost: a\r\n" + node.authLine()
          + name + ": 1\r\n\r\n");

      assertThat(answer).as(name).startsWith("HTTP/1.1 400");
      assertThat(new JsonObject(bodiesOf(answer).get(0)).getJsonObject("error").getString("code"))
          .isEqualTo("malformed_request");
    }
  }

  @Test
  void a_request_that_is_not_http_gets_400_as_json() throws Exception {
    String answer = RawHttp.exchange(port, "GET /v4/local/hello/echo HTTP/1.1\r\nHost: a\r\n" + node.authLine() + ""
        + "Content-Length: nope\r\n\r\n");

    assertThat(answer).startsWith("HTTP/1.1 400");
    assertThat(new JsonObject(bodiesOf(answer).get(0)).getJsonObject("error").getString("code"))
        .isEqualTo("malformed_request");
  }

  /** The bodies of the answers in {@code raw}, which has each answer's Content-Length or chunked framing. */
  private static List<String> bodiesOf(String raw) {
    List<String> bodies = new ArrayList<>();
    int at = 0;
    Pattern length = Pattern.compile("(?im)^content-length:\\s*(\\d+)\\s*$");
    while (at < raw.length()) {
      int headEnd = raw.indexOf("\r\n\r\n", at);
      if (headEnd < 0) {
        break;
      }
      String head = raw.substring(at, headEnd);
      int bodyStart = headEnd + 4;
      Matcher m = length.matcher(head);
      if (head.toLowerCase().contains("transfer-encoding: chunked")) {
        StringBuilder body = new StringBuilder();
        int p = bodyStart;
        while (true) {
          int lineEnd = raw.indexOf("\r\n", p);
          int size = Integer.parseInt(raw.substring(p, lineEnd).trim(), 16);
          p = lineEnd + 2;
          if (size == 0) {
            p += 2;
            break;
          }
          body.append(raw, p, p + size);
          p += size + 2;
        }
        bodies.add(body.toString());
        at = p;
      } else if (m.find()) {
        int n = Integer.parseInt(m.group(1));
        bodies.add(raw.substring(bodyStart, bodyStart + n));
        at = bodyStart + n;
      } else {
        bodies.add(raw.substring(bodyStart));
        at = raw.length();
      }
    }
    return bodies;
  }

  private static String readUntil(InputStream in, String end) throws Exception {
    ByteArrayOutputStream read = new ByteArrayOutputStream();
    while (!read.toString(StandardCharsets.ISO_8859_1).endsWith(end)) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      read.write(b);
    }
    return read.toString(StandardCharsets.ISO_8859_1);
  }
}

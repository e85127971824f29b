package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.sluice.dataplane.apps.DeployedApp;
import io.sluice.config.ClientLimits;
import io.sluice.dataplane.support.Configs;
import io.sluice.dataplane.support.TestNode;
import io.sluice.dataplane.support.WebSocketListener;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * WebSockets through a live node to a real replica: a real client's socket works end to end and holds a replica
 * slot while open; frames that break RFC 6455 or the message limit close the offender's socket with the right code,
 * and nobody else's.
 */
class WebSocketProxyTest {

  private static final int MAX_MESSAGE = 64 * 1024;

  @TempDir
  static Path temp;

  static TestNode node;
  static DeployedApp hello;

  @BeforeAll
  static void startNode() throws Exception {
    node = TestNode.start(TestNode.options(temp.resolve("state"))
        .limits(ClientLimits.defaults().withMaxWebSocketMessageBytes(MAX_MESSAGE)).build());
    hello = node.deployAndAwaitReady(TestNode.appFolder(temp, "hello", "cerebrium.toml",
        Configs.cerebrium("hello", 1, 0, "")));
  }

  @AfterAll
  static void stopNode() throws Exception {
    node.close();
  }

  private static WebSocket open(WebSocketListener listener, String key) throws Exception {
    return node.http().newWebSocketBuilder().header("Authorization", "Bearer " + key)
        .buildAsync(URI.create("ws://127.0.0.1:" + node.node().publicPort() + "/v4/local/hello/ws"), listener)
        .get(10, TimeUnit.SECONDS);
  }

  @Test
  void a_real_client_talks_to_the_replica_through_the_node_and_holds_a_slot_while_open() throws Exception {
    WebSocketListener received = new WebSocketListener();
    WebSocket socket = open(received, node.apiKey());

    JsonObject hello = new JsonObject((String) received.next());
    assertThat(hello.getString("path")).isEqualTo("/ws");
    assertThat(hello.getJsonObject("headers").getString("x-request-id")).isNotBlank();
    assertThat(hello.getJsonObject("headers").getString("authorization")).isNull();
    assertThat(WebSocketProxyTest.hello.route().inFlight()).isEqualTo(1);

    socket.sendText("first message", true).get(5, TimeUnit.SECONDS);
    assertThat(received.next()).isEqualTo("first message");
    byte[] big = new byte[MAX_MESSAGE];
    Arrays.fill(big, (byte) 7);
    socket.sendBinary(ByteBuffer.wrap(big), true).get(5, TimeUnit.SECONDS);
    assertThat((byte[]) received.next()).isEqualTo(big);
    socket.sendText("in ", false).get(5, TimeUnit.SECONDS);
    socket.sendText("parts", true).get(5, TimeUnit.SECONDS);
    assertThat(received.next()).isEqualTo("in parts");

    socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(5, TimeUnit.SECONDS);

    assertThat(received.closed.get(10, TimeUnit.SECONDS).code()).isEqualTo(WebSocket.NORMAL_CLOSURE);
    await().atMost(Duration.ofSeconds(5)).until(() -> WebSocketProxyTest.hello.route().inFlight() == 0);
  }

  @Test
  void a_socket_without_a_credential_is_refused_at_the_handshake() {
    assertThatThrownBy(() -> open(new WebSocketListener(), "sk_not_a_key"))
        .hasCauseInstanceOf(WebSocketHandshakeException.class)
        .satisfies(e -> assertThat(((WebSocketHandshakeException) e.getCause()).getResponse().statusCode())
            .isEqualTo(401));
  }

  record BadFrame(String what, byte[] frame, int closeCode) {}

  @Test
  void frames_that_break_the_protocol_or_the_limit_close_that_socket_only_with_the_right_code() throws Exception {
    WebSocketListener bystander = new WebSocketListener();
    WebSocket wellBehaved = open(bystander, node.apiKey());
    bystander.next();
    byte[] fragmentsOverLimit = concat(frame(false, 0x2, new byte[MAX_MESSAGE / 2 + 1], true),
        frame(true, 0x0, new byte[MAX_MESSAGE / 2 + 1], true));
    List<BadFrame> cases = List.of(
        new BadFrame("an unmasked client frame", frame(true, 0x1, "hi".getBytes(), false), 1002),
        new BadFrame("a reserved opcode", frame(true, 0x3, "hi".getBytes(), true), 1002),
        new BadFrame("a reserved bit without an extension", withRsv1(frame(true, 0x1, "hi".getBytes(), true)), 1002),
        new BadFrame("a fragmented control frame", frame(false, 0x9, "hi".getBytes(), true), 1002),
        new BadFrame("text that is not UTF-8", frame(true, 0x1, new byte[] {(byte) 0xC3, (byte) 0x28}, true), 1007),
        new BadFrame("a frame over the message limit", frame(true, 0x2, new byte[MAX_MESSAGE + 1], true), 1009),
        new BadFrame("fragments that add up over the limit", fragmentsOverLimit, 1009));

    for (BadFrame bad : cases) {
      try (Socket raw = handshake()) {
        raw.getOutputStream().write(bad.frame());
        raw.getOutputStream().flush();

        assertThat(closeCodeThenEnd(raw.getInputStream())).as(bad.what()).isEqualTo(bad.closeCode());
      }
      wellBehaved.sendText("still here after " + bad.what(), true).get(5, TimeUnit.SECONDS);
      assertThat(bystander.next()).isEqualTo("still here after " + bad.what());
    }
    wellBehaved.sendClose(WebSocket.NORMAL_CLOSURE, "").get(5, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(10)).until(() -> hello.route().inFlight() == 0);
  }

  // --- a raw client, for frames a real one will not send -----------------------------------------------------------------

  private static Socket handshake() throws IOException {
    Socket socket = new Socket("127.0.0.1", node.node().publicPort());
    socket.setSoTimeout(10_000);
    socket.getOutputStream().write(("GET /v4/local/hello/ws HTTP/1.1\r\nHost: a\r\n" + node.authLine()
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
    int[] helloFrame = readFrame(new DataInputStream(in));
    assertThat(helloFrame[0]).as("the replica's hello, a text frame").isEqualTo(0x1);
    return socket;
  }

  /** Reads frames until a close frame, returns its status code, and checks the connection then ends. */
  private static int closeCodeThenEnd(InputStream in) throws IOException {
    DataInputStream data = new DataInputStream(in);
    while (true) {
      int[] frame = readFrame(data);
      if (frame[0] == 0x8) {
        try {
          assertThat(data.read()).as("closed after the close frame").isEqualTo(-1);
        } catch (java.net.SocketException reset) {
          // Closed with a reset rather than a FIN: closed all the same, and the close frame came first.
        }
        return frame[1];
      }
    }
  }

  /** {opcode, close code (or -1)} of the next server frame. */
  private static int[] readFrame(DataInputStream in) throws IOException {
    int first = in.readUnsignedByte();
    int second = in.readUnsignedByte();
    long length = second & 0x7F;
    if (length == 126) {
      length = in.readUnsignedShort();
    } else if (length == 127) {
      length = in.readLong();
    }
    byte[] payload = new byte[(int) length];
    in.readFully(payload);
    int opcode = first & 0x0F;
    int code = opcode == 0x8 && payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : -1;
    return new int[] {opcode, code};
  }

  private static byte[] frame(boolean fin, int opcode, byte[] payload, boolean masked) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write((fin ? 0x80 : 0) | opcode);
    int maskBit = masked ? 0x80 : 0;
    if (payload.length < 126) {
      out.write(maskBit | payload.length);
    } else if (payload.length < 65536) {
      out.write(maskBit | 126);
      out.write(payload.length >> 8);
      out.write(payload.length & 0xFF);
    } else {
      out.write(maskBit | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        out.write((int) ((long) payload.length >> shift) & 0xFF);
      }
    }
    byte[] mask = {0x12, 0x34, 0x56, 0x78};
    if (masked) {
      out.write(mask, 0, 4);
    }
    for (int i = 0; i < payload.length; i++) {
      out.write(masked ? payload[i] ^ mask[i % 4] : payload[i]);
    }
    return out.toByteArray();
  }

  private static byte[] withRsv1(byte[] frame) {
    frame[0] |= 0x40;
    return frame;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] both = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, both, a.length, b.length);
    return both;
  }
}

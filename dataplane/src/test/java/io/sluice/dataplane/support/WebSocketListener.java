package io.sluice.dataplane.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.net.http.WebSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** What a Java WebSocket client receives, for tests: whole messages, pongs, and the close with its code and reason. */
public final class WebSocketListener implements WebSocket.Listener {

  public record Closed(int code, String reason) {}

  public final BlockingQueue<Object> messages = new LinkedBlockingQueue<>();
  public final BlockingQueue<String> pongs = new LinkedBlockingQueue<>();
  public final CompletableFuture<Closed> closed = new CompletableFuture<>();
  private final StringBuilder text = new StringBuilder();
  private final ByteArrayOutputStream binary = new ByteArrayOutputStream();

  @Override
  public CompletionStage<?> onText(WebSocket socket, CharSequence data, boolean last) {
    text.append(data);
    if (last) {
      messages.add(text.toString());
      text.setLength(0);
    }
    socket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onBinary(WebSocket socket, ByteBuffer data, boolean last) {
    byte[] bytes = new byte[data.remaining()];
    data.get(bytes);
    binary.write(bytes, 0, bytes.length);
    if (last) {
      messages.add(binary.toByteArray());
      binary.reset();
    }
    socket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onPong(WebSocket socket, ByteBuffer message) {
    pongs.add(StandardCharsets.UTF_8.decode(message).toString());
    socket.request(1);
    return null;
  }

  @Override
  public CompletionStage<?> onClose(WebSocket socket, int statusCode, String reason) {
    closed.complete(new Closed(statusCode, reason));
    return null;
  }

  @Override
  public void onError(WebSocket socket, Throwable error) {
    closed.completeExceptionally(error);
  }

  public Object next() throws InterruptedException {
    Object message = messages.poll(10, TimeUnit.SECONDS);
    assertThat(message).as("a message within 10 s").isNotNull();
    return message;
  }

  public Closed closed() throws Exception {
    return closed.get(15, TimeUnit.SECONDS);
  }
}

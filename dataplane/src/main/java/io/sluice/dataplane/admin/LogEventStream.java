package io.sluice.dataplane.admin;

import io.sluice.config.AppId;
import io.sluice.dataplane.replica.local.FollowerBuffer;
import io.sluice.dataplane.replica.local.LogLine;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One follower of an app's logs: its lines as server-sent events on one admin response.
 *
 * <p>Lines arrive on the threads that read replicas' pipes and only go into a bounded {@link FollowerBuffer}; the
 * response's event loop takes them out and writes them while the connection keeps up. A follower that falls behind
 * by more than the buffer loses lines and gets an {@code event: dropped} saying how many, where they went missing.
 * Nothing here blocks, and what one follower can make the node hold is its buffer plus one batch.
 */
final class LogEventStream {

  static final long KEEP_ALIVE_MILLIS = 15_000;
  private static final int BATCH_BYTES = 64 * 1024;
  /** What one turn on the event loop writes at most, so that a flood of lines does not hold the loop. */
  private static final int TURN_BYTES = 4 * BATCH_BYTES;

  private final Vertx vertx;
  private final Context context;
  private final HttpServerResponse response;
  private final FollowerBuffer buffer;
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private volatile boolean started;
  private volatile boolean waitingForDrain;
  private boolean closed;
  private long keepAlive = -1;
  private Runnable onClose = () -> { };

  LogEventStream(Vertx vertx, HttpServerResponse response, long bufferBytes) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.response = response;
    this.buffer = new FollowerBuffer(bufferBytes);
    response.closeHandler(v -> close());
    response.exceptionHandler(e -> close());
  }

  void onClose(Runnable then) {
    onClose = then;
  }

  /** From any thread; never blocks. */
  void offer(LogLine line) {
    buffer.offer(line);
    if (started && !waitingForDrain && scheduled.compareAndSet(false, true)) {
      context.runOnContext(v -> drain());
    }
  }

  /** Lines another node dropped for this follower: said where they went missing. From any thread; never blocks. */
  void dropped(long lines) {
    if (lines > 0) {
      buffer.countDropped(lines);
      if (started && !waitingForDrain && scheduled.compareAndSet(false, true)) {
        context.runOnContext(v -> drain());
      }
    }
  }

  /**
   * Sends the tail, oldest line first across replicas, then what came since (each node left out of its lines what its
   * tail holds).
   */
  void start(AppId app, Map<String, List<LogLine>> tails) {
    if (closed) {
      return;
    }
    response.setChunked(true)
        .putHeader(HttpHeaders.CONTENT_TYPE, "text/event-stream; charset=utf-8")
        .putHeader(HttpHeaders.CACHE_CONTROL, "no-cache")
        .putHeader("X-Accel-Buffering", "no");
    List<LogLine> lines = new ArrayList<>();
    tails.values().forEach(lines::addAll);
    lines.sort(Comparator.comparing(LogLine::time, Comparator.nullsFirst(Comparator.naturalOrder())));
    Buffer first = Buffer.buffer(": following " + app + "\n\n");
    lines.forEach(line -> appendLine(first, line));
    response.write(first);
    started = true;
    keepAlive = vertx.setPeriodic(KEEP_ALIVE_MILLIS, t -> {
      if (!closed && !response.writeQueueFull()) {
        response.write(": keep-alive\n\n");
      }
    });
    drain();
  }

  void close() {
    if (closed) {
      return;
    }
    closed = true;
    vertx.cancelTimer(keepAlive);
    onClose.run();
  }

  private void drain() {
    scheduled.set(false);
    if (closed || !started) {
      return;
    }
    Buffer batch = Buffer.buffer();
    int written = 0;
    while (!response.writeQueueFull()) {
      if (written >= TURN_BYTES) {
        // More is waiting: the rest on a later turn, after whatever else the loop has to do.
        if (scheduled.compareAndSet(false, true)) {
          context.runOnContext(v -> drain());
        }
        return;
      }
      FollowerBuffer.Entry entry = buffer.poll();
      if (entry == null) {
        long dropped = buffer.takeDropped();
        if (dropped > 0) {
          appendDropped(batch, dropped);
        }
        if (batch.length() > 0) {
          response.write(batch);
        }
        return;
      }
      if (entry.droppedBefore() > 0) {
        appendDropped(batch, entry.droppedBefore());
      }
      appendLine(batch, entry.line());
      if (batch.length() >= BATCH_BYTES) {
        response.write(batch);
        written += batch.length();
        batch = Buffer.buffer();
      }
    }
    if (batch.length() > 0) {
      response.write(batch);
    }
    waitingForDrain = true;
    response.drainHandler(v -> {
      waitingForDrain = false;
      drain();
    });
  }

  private static void appendLine(Buffer to, LogLine line) {
    to.appendString("data: ").appendString(line.json().encode()).appendString("\n\n");
  }

  private static void appendDropped(Buffer to, long dropped) {
    to.appendString("event: dropped\ndata: ").appendString(new JsonObject().put("dropped", dropped)
        .put("message", dropped + " line(s) dropped here: this follower read slower than the replicas wrote")
        .encode()).appendString("\n\n");
  }
}

package io.sluice.dataplane.logs;

import io.sluice.config.AppId;
import io.sluice.dataplane.replica.local.FollowerBuffer;
import io.sluice.dataplane.replica.local.LogFollowers;
import io.sluice.dataplane.replica.local.LogLine;
import io.sluice.dataplane.replica.local.ReplicaLogs;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The lines of this node's replicas of one app, on their way to one follower, who may be on another node: first the
 * last lines of each replica as stored, then every new line, in batches over the event bus.
 *
 * <p>One batch is in flight at a time: the next goes when the follower's node has taken the last, so a follower that
 * cannot keep up makes this node hold no more than its {@link FollowerBuffer}, whose overflow is dropped and counted
 * and told with the next line. Lines come on the threads that read replicas' pipes and only go into the buffer; the
 * batches are made on the event loop the feed was opened on.
 *
 * <p>The feed subscribes before it reads the tail from disk, so no line printed meanwhile is lost, and drops from its
 * queue the lines the tail already holds before it sends anything, so none comes twice.
 */
final class LogFeed {

  private static final int BATCH_BYTES = 64 * 1024;
  private static final long SEND_TIMEOUT_MILLIS = 10_000;

  private final Vertx vertx;
  private final Context context;
  private final String node;
  private final String to;
  private final FollowerBuffer buffer;
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final Runnable gone;
  private LogFollowers.Subscription subscription;
  /** The tail went: live lines may follow. */
  private volatile boolean tailSent;
  private volatile boolean sending;
  private volatile boolean closed;
  private volatile long renewedMillis;

  /**
   * @param to the follower's address
   * @param gone called on this feed's event loop when the follower stopped taking batches
   */
  LogFeed(Vertx vertx, String node, String to, long bufferBytes, long nowMillis, Runnable gone) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.node = node;
    this.to = to;
    this.buffer = new FollowerBuffer(bufferBytes);
    this.renewedMillis = nowMillis;
    this.gone = gone;
  }

  /** Subscribes, reads the tail off the event loop, sends it, then lines as they come. */
  void start(ReplicaLogs logs, AppId app, String replica, int tail) {
    subscription = logs.followers().follow(app, replica, this::offer);
    vertx.executeBlocking(() -> logs.tails(app, replica, tail), false).onComplete(read -> {
      if (closed) {
        return;
      }
      Map<String, List<String>> tails = read.succeeded() ? read.result() : Map.of();
      Map<String, LogLine> lastOfEach = new HashMap<>();
      JsonObject stored = new JsonObject();
      tails.forEach((name, lines) -> {
        stored.put(name, new JsonArray(List.copyOf(lines)));
        if (!lines.isEmpty()) {
          lastOfEach.put(name, LogLine.parse(name, lines.get(lines.size() - 1)));
        }
      });
      buffer.dropAlreadySent(lastOfEach);
      send(new JsonObject().put("node", node).put("tails", stored));
    });
  }

  /** The follower asked again: it is still there. */
  void renew(long nowMillis) {
    renewedMillis = nowMillis;
  }

  long renewedMillis() {
    return renewedMillis;
  }

  void close() {
    closed = true;
    if (subscription != null) {
      subscription.close();
    }
  }

  /** From any thread; never blocks. */
  private void offer(LogLine line) {
    buffer.offer(line);
    if (tailSent && !sending && scheduled.compareAndSet(false, true)) {
      context.runOnContext(v -> drain());
    }
  }

  private void drain() {
    scheduled.set(false);
    if (closed || sending) {
      return;
    }
    JsonArray lines = new JsonArray();
    int bytes = 0;
    for (FollowerBuffer.Entry entry; bytes < BATCH_BYTES && (entry = buffer.poll()) != null; ) {
      JsonObject line = entry.line().json();
      if (entry.droppedBefore() > 0) {
        line.put("dropped_before", entry.droppedBefore());
      }
      lines.add(line);
      bytes += entry.line().text().length() + 64;
    }
    // Lines dropped after the last one queued: told now only when the queue ran dry, else with a later line.
    long droppedAfter = bytes < BATCH_BYTES ? buffer.takeDropped() : 0;
    if (lines.isEmpty() && droppedAfter == 0) {
      return;
    }
    send(new JsonObject().put("node", node).put("lines", lines).put("dropped", droppedAfter));
  }

  private void send(JsonObject batch) {
    sending = true;
    vertx.eventBus().request(to, batch, new DeliveryOptions().setSendTimeout(SEND_TIMEOUT_MILLIS))
        .onComplete(taken -> {
          sending = false;
          if (closed) {
            return;
          }
          if (taken.failed()) {
            // The follower left, or its node did: nobody reads this feed any more.
            gone.run();
            return;
          }
          tailSent = true;
          drain();
        });
  }
}

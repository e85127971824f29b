package io.sluice.dataplane.logs;

import io.sluice.config.AppId;
import io.sluice.dataplane.replica.local.LogLine;
import io.sluice.dataplane.replica.local.ReplicaLogs;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Replicas' logs across the fleet. Each node has the logs of the replicas it runs; the node asked for an app's logs
 * asks every member over the event bus ({@code sluice.logs.<node>}) and merges the answers, so that it does not matter
 * which node a client asks, nor which nodes the replicas run on.
 *
 * <p>Following: the node asked opens a feed ({@link LogFeed}) on every member, which sends the last lines of its
 * replicas of the app and then every new line, to an address of the follower's own. Every member is asked, not only
 * those that run a replica now: a replica that starts later may start on any of them, and a feed of an app without a
 * replica there costs an entry in a map. The follower asks again every {@link #RENEW_MILLIS}, which renews its feeds
 * and opens one on a node that joined the fleet since; a feed not renewed for {@link #LEASE_MILLIS} (its follower's
 * node died) closes, and so does one whose follower stops taking its batches.
 */
public final class FleetLogs {

  static final String ADDRESS = "sluice.logs.";
  static final long RENEW_MILLIS = 10_000;
  static final long LEASE_MILLIS = 3 * RENEW_MILLIS;
  /** What a node holds for one remote follower at most, and how many it serves. */
  static final long FEED_BUFFER_BYTES = 256 * 1024;
  static final int MAX_FEEDS = 256;
  private static final long ASK_TIMEOUT_MILLIS = 3_000;
  /** How long a new follower waits for the slowest node's tail before it starts with what it has. */
  private static final long FIRST_TAILS_WAIT_MILLIS = 5_000;

  private final Vertx vertx;
  private final String node;
  private final ReplicaLogs logs;
  private final Supplier<List<String>> members;
  private final InstantSource clock;
  private final Map<String, LogFeed> feeds = new ConcurrentHashMap<>();

  /**
   * @param members the ids of the fleet's nodes, this one included
   * @param clock for the feeds' leases
   */
  public FleetLogs(Vertx vertx, String node, ReplicaLogs logs, Supplier<List<String>> members, InstantSource clock) {
    this.vertx = vertx;
    this.node = node;
    this.logs = logs;
    this.members = members;
    this.clock = clock;
  }

  /** Answers the fleet's asks for this node's replicas' logs, and closes feeds whose lease ran out. */
  public void listen() {
    vertx.eventBus().<JsonObject>consumer(ADDRESS + node, this::asked);
    vertx.setPeriodic(RENEW_MILLIS, tick -> expireFeeds(clock.millis()));
  }

  /** Closes the feeds whose follower has not asked again within the lease. */
  void expireFeeds(long nowMillis) {
    feeds.forEach((id, feed) -> {
      if (nowMillis - feed.renewedMillis() > LEASE_MILLIS) {
        closeFeed(id);
      }
    });
  }

  /** Feeds this node runs for followers (on any node). */
  int feeds() {
    return feeds.size();
  }

  private void asked(Message<JsonObject> ask) {
    JsonObject body = ask.body();
    String op = body.getString("op", "");
    switch (op) {
      case "tails" -> vertx.executeBlocking(() -> logs.tails(app(body), body.getString("replica"),
          body.getInteger("tail")), false).onComplete(read -> {
            if (read.failed()) {
              ask.fail(500, "the logs of " + app(body) + " on node " + node + " could not be read: "
                  + read.cause().getMessage());
              return;
            }
            JsonObject tails = new JsonObject();
            read.result().forEach((replica, lines) -> tails.put(replica, new JsonArray(List.copyOf(lines))));
            ask.reply(tails);
          });
      case "follow" -> follow(ask, body);
      case "unfollow" -> {
        closeFeed(body.getString("id"));
        ask.reply(new JsonObject());
      }
      default -> ask.fail(400, "op: " + op + " (expected: tails, follow or unfollow)");
    }
  }

  private void follow(Message<JsonObject> ask, JsonObject body) {
    String id = body.getString("id");
    long now = clock.millis();
    LogFeed existing = feeds.get(id);
    if (existing != null) {
      existing.renew(now);
      ask.reply(new JsonObject());
      return;
    }
    if (feeds.size() >= MAX_FEEDS) {
      ask.fail(503, "node " + node + " feeds " + MAX_FEEDS + " log followers at most");
      return;
    }
    LogFeed feed = new LogFeed(vertx, node, body.getString("to"), FEED_BUFFER_BYTES, now, () -> closeFeed(id));
    feeds.put(id, feed);
    ask.reply(new JsonObject());
    feed.start(logs, app(body), body.getString("replica"), body.getInteger("tail"));
  }

  private void closeFeed(String id) {
    LogFeed feed = id == null ? null : feeds.remove(id);
    if (feed != null) {
      feed.close();
    }
  }

  private static AppId app(JsonObject body) {
    return new AppId(body.getString("project"), body.getString("app"));
  }

  // --- The node asked --------------------------------------------------------------------------------------------------

  /**
   * The last lines of each of the app's replicas on every node, gone ones included, as stored.
   *
   * @param byReplica oldest replica first (by the time of its last line)
   * @param unanswered the nodes that did not answer, whose replicas are missing
   */
  public record Tails(Map<String, List<String>> byReplica, List<String> unanswered) {}

  /** The last {@code lines} lines of each of the app's replicas across the fleet, or of the one named. */
  public Future<Tails> tails(AppId app, String replica, int lines) {
    List<String> ids = members.get();
    List<Future<JsonObject>> asked = new ArrayList<>();
    JsonObject ask = new JsonObject().put("op", "tails").put("project", app.project()).put("app", app.name())
        .put("replica", replica).put("tail", lines);
    for (String member : ids) {
      asked.add(vertx.eventBus().<JsonObject>request(ADDRESS + member, ask,
          new DeliveryOptions().setSendTimeout(ASK_TIMEOUT_MILLIS)).map(Message::body));
    }
    return Future.join(asked).transform(done -> {
      Map<String, List<String>> all = new HashMap<>();
      List<String> unanswered = new ArrayList<>();
      for (int i = 0; i < ids.size(); i++) {
        Future<JsonObject> answer = asked.get(i);
        if (answer.failed()) {
          unanswered.add(ids.get(i));
          continue;
        }
        answer.result().forEach(entry -> all.put(entry.getKey(), strings((JsonArray) entry.getValue())));
      }
      return Future.succeededFuture(new Tails(oldestFirst(all), unanswered));
    });
  }

  /** Where a follower's lines go: called on the event loop that asked to follow. */
  public interface Follower {
    void line(LogLine line);

    /** Lines that another node dropped because this follower read slower than the replicas printed. */
    void dropped(long lines);
  }

  /**
   * Follows the app's replicas (or the one named) on every node, those that start later included.
   * {@link Follow#started()} completes with the last {@code tail} lines of each replica once every node has sent
   * them (or after a few seconds, with what came); lines go to {@code follower} from then on, and before that those
   * that came meanwhile wait in it. Call on an event loop; close the follow when done.
   */
  public Follow follow(AppId app, String replica, int tail, Follower follower) {
    Follow follow = new Follow(app, replica, tail, follower);
    follow.open();
    return follow;
  }

  /** One follower's feeds across the fleet. */
  public final class Follow {

    private final String id = UUID.randomUUID().toString();
    private final String address = ADDRESS + "follower." + id;
    private final AppId app;
    private final String replica;
    private final int tail;
    private final Follower follower;
    private final Promise<Map<String, List<LogLine>>> started = Promise.promise();
    private final Map<String, List<String>> firstTails = new HashMap<>();
    /** Nodes asked whose tail has not come yet; the start waits for them. */
    private final Set<String> awaited = new HashSet<>();
    private final Set<String> asked = new HashSet<>();
    /** Per replica, the time of the last line passed on: a tail that comes late does not repeat it. */
    private final Map<String, Instant> lastPassed = new HashMap<>();
    private MessageConsumer<JsonObject> consumer;
    private long renewTimer = -1;
    private long startTimer = -1;
    private boolean closed;

    private Follow(AppId app, String replica, int tail, Follower follower) {
      this.app = app;
      this.replica = replica;
      this.tail = tail;
      this.follower = follower;
    }

    /** Completes with each replica's tail, oldest replica first. */
    public Future<Map<String, List<LogLine>>> started() {
      return started.future();
    }

    private void open() {
      consumer = vertx.eventBus().consumer(address, this::received);
      // Asked only once the fleet knows the address, so that the first batches find it.
      consumer.completion().onComplete(registered -> {
        if (closed) {
          return;
        }
        startTimer = vertx.setTimer(FIRST_TAILS_WAIT_MILLIS, t -> start());
        renewTimer = vertx.setPeriodic(RENEW_MILLIS, t -> ask(members.get()));
        List<String> ids = members.get();
        awaited.addAll(ids);
        ask(ids);
      });
    }

    private void ask(List<String> ids) {
      JsonObject ask = new JsonObject().put("op", "follow").put("id", id).put("to", address)
          .put("project", app.project()).put("app", app.name()).put("replica", replica).put("tail", tail);
      for (String member : ids) {
        asked.add(member);
        vertx.eventBus().request(ADDRESS + member, ask, new DeliveryOptions().setSendTimeout(ASK_TIMEOUT_MILLIS))
            .onFailure(unanswered -> {
              // Not there (yet): the start does not wait for it, and the next renewal asks again.
              if (awaited.remove(member) && awaited.isEmpty()) {
                start();
              }
            });
      }
    }

    private void received(Message<JsonObject> batch) {
      batch.reply(null);
      if (closed) {
        return;
      }
      JsonObject body = batch.body();
      String from = body.getString("node");
      JsonObject tails = body.getJsonObject("tails");
      if (tails != null) {
        tails.forEach(entry -> {
          List<String> lines = strings((JsonArray) entry.getValue());
          if (started.future().isComplete()) {
            // A node that joined later, or whose first answer was slow: its lines not already passed on go now.
            lines.forEach(stored -> pass(LogLine.parse(entry.getKey(), stored), true));
          } else {
            firstTails.put(entry.getKey(), lines);
          }
        });
        if (awaited.remove(from) && awaited.isEmpty()) {
          start();
        }
        return;
      }
      JsonArray lines = body.getJsonArray("lines", new JsonArray());
      for (int i = 0; i < lines.size(); i++) {
        JsonObject line = lines.getJsonObject(i);
        follower.dropped(line.getLong("dropped_before", 0L));
        pass(LogLine.fromJson(line), false);
      }
      follower.dropped(body.getLong("dropped", 0L));
    }

    private void pass(LogLine line, boolean fromLateTail) {
      Instant last = lastPassed.get(line.replica());
      if (fromLateTail && last != null && (line.time() == null || !line.time().isAfter(last))) {
        return;
      }
      if (line.time() != null && (last == null || line.time().isAfter(last))) {
        lastPassed.put(line.replica(), line.time());
      }
      follower.line(line);
    }

    private void start() {
      if (closed || started.future().isComplete()) {
        return;
      }
      vertx.cancelTimer(startTimer);
      Map<String, List<LogLine>> parsed = new LinkedHashMap<>();
      oldestFirst(firstTails).forEach((name, stored) -> {
        List<LogLine> lines = stored.stream().map(line -> LogLine.parse(name, line)).toList();
        parsed.put(name, lines);
        lines.forEach(line -> {
          if (line.time() != null) {
            lastPassed.merge(name, line.time(), (a, b) -> a.isAfter(b) ? a : b);
          }
        });
      });
      started.complete(parsed);
    }

    /** Stops following: the feeds on every node close. */
    public void close() {
      if (closed) {
        return;
      }
      closed = true;
      vertx.cancelTimer(startTimer);
      vertx.cancelTimer(renewTimer);
      if (consumer != null) {
        consumer.unregister();
      }
      JsonObject unfollow = new JsonObject().put("op", "unfollow").put("id", id);
      for (String member : asked) {
        vertx.eventBus().request(ADDRESS + member, unfollow,
            new DeliveryOptions().setSendTimeout(ASK_TIMEOUT_MILLIS));
      }
      started.tryFail("the follower left");
    }
  }

  private static List<String> strings(JsonArray array) {
    List<String> strings = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      strings.add(array.getString(i));
    }
    return strings;
  }

  /** The replicas ordered by the time of their last line, oldest first (those without one first). */
  private static Map<String, List<String>> oldestFirst(Map<String, List<String>> tails) {
    Map<String, List<String>> ordered = new LinkedHashMap<>();
    tails.entrySet().stream()
        .sorted(Comparator.comparing((Map.Entry<String, List<String>> e) -> e.getValue().isEmpty() ? null
                : LogLine.parse(e.getKey(), e.getValue().get(e.getValue().size() - 1)).time(),
            Comparator.nullsFirst(Comparator.naturalOrder())).thenComparing(Map.Entry::getKey))
        .forEach(e -> ordered.put(e.getKey(), e.getValue()));
    return ordered;
  }
}

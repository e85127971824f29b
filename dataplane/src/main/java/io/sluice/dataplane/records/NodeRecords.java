package io.sluice.dataplane.records;

import io.netty.channel.EventLoop;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * A node's request records, one {@link RecordRing} per event loop of its public port (so recording is a store on the
 * loop that served the request, never a lock or a hand-off), and the fleet-wide query: every node answers for its own
 * records over the event bus, and the node asked merges the answers, newest first.
 */
public final class NodeRecords {

  public static final int DEFAULT_CAPACITY = 10_000;
  /** Captured bodies a node keeps with its records, at most (apps that capture payloads share it). */
  public static final long MAX_PAYLOAD_BYTES = 64L << 20;
  private static final String ADDRESS = "sluice.records.";
  private static final long ASK_TIMEOUT_MILLIS = 3_000;

  private final Vertx vertx;
  private final String node;
  private final int capacity;
  private final int loops;
  private final Supplier<List<String>> members;
  private final Function<String, Collection<String>> projectSecrets;
  private final Map<EventLoop, RecordRing> rings = new IdentityHashMap<>();

  /**
   * @param capacity records kept by this node, shared evenly by its {@code loops} event loops
   * @param members the ids of the fleet's nodes, this one included
   * @param projectSecrets a project's secret values, redacted from captured payloads
   */
  public NodeRecords(Vertx vertx, String node, int capacity, int loops, Supplier<List<String>> members,
      Function<String, Collection<String>> projectSecrets) {
    this.vertx = vertx;
    this.node = node;
    this.capacity = capacity;
    this.loops = loops;
    this.members = members;
    this.projectSecrets = projectSecrets;
  }

  /** A project's secret values (from the node's in-memory copy), to redact from captured payloads. */
  public Collection<String> secretValues(String project) {
    return projectSecrets.apply(project);
  }

  public String node() {
    return node;
  }

  /** The ring of one event loop (made when the public port starts); with no capacity, a recorder that keeps none. */
  public synchronized Recorder recorder(EventLoop loop) {
    if (capacity == 0) {
      return record -> { };
    }
    RecordRing ring = rings.computeIfAbsent(loop, l -> new RecordRing(Math.max(16, capacity / Math.max(1, loops)),
        MAX_PAYLOAD_BYTES / Math.max(1, loops)));
    return ring::add;
  }

  /** Where an event loop puts the records of the requests it served. */
  @FunctionalInterface
  public interface Recorder {
    void record(RequestRecord record);
  }

  /** Answers the fleet's queries for this node's records. */
  public void listen() {
    vertx.eventBus().<JsonObject>consumer(ADDRESS + node, message -> local(RecordQuery.fromJson(message.body()))
        .onSuccess(found -> message.reply(encode(found)))
        .onFailure(failed -> message.fail(500, failed.getMessage())));
  }

  /** This node's records that match, newest first: each loop's ring is read on its own loop. */
  public Future<List<RequestRecord>> local(RecordQuery query) {
    List<Future<List<RequestRecord>>> parts = new ArrayList<>();
    synchronized (this) {
      rings.forEach((loop, ring) -> {
        Promise<List<RequestRecord>> read = Promise.promise();
        loop.execute(() -> read.complete(ring.matching(query)));
        parts.add(read.future());
      });
    }
    return Future.all(parts).map(all -> newest(parts.stream().flatMap(part -> part.result().stream()).toList(),
        query.limit()));
  }

  /** Records dropped by this node's rings since it started (overwritten by newer ones). */
  public Future<Long> dropped() {
    List<Future<Long>> parts = new ArrayList<>();
    synchronized (this) {
      rings.forEach((loop, ring) -> {
        Promise<Long> read = Promise.promise();
        loop.execute(() -> read.complete(ring.dropped()));
        parts.add(read.future());
      });
    }
    return Future.all(parts).map(all -> parts.stream().mapToLong(Future::result).sum());
  }

  /**
   * The fleet's records that match, newest first: {@code records}, {@code nodes} (each node's id and whether it
   * answered) and {@code next_before}, the cursor for the next page when there may be one.
   */
  public Future<JsonObject> fleet(RecordQuery query) {
    List<String> ids = members.get();
    List<Future<List<RequestRecord>>> asked = new ArrayList<>();
    for (String member : ids) {
      asked.add(member.equals(node) ? local(query)
          : vertx.eventBus().<JsonArray>request(ADDRESS + member, query.toJson(),
              new DeliveryOptions().setSendTimeout(ASK_TIMEOUT_MILLIS)).map(reply -> decode(reply.body())));
    }
    return Future.join(asked).transform(done -> {
      List<RequestRecord> all = new ArrayList<>();
      JsonArray nodes = new JsonArray();
      for (int i = 0; i < ids.size(); i++) {
        Future<List<RequestRecord>> answer = asked.get(i);
        nodes.add(new JsonObject().put("node", ids.get(i)).put("answered", answer.succeeded()));
        if (answer.succeeded()) {
          all.addAll(answer.result());
        }
      }
      List<RequestRecord> page = newest(all, query.limit());
      JsonObject result = new JsonObject().put("records", encode(page)).put("nodes", nodes);
      if (page.size() == query.limit()) {
        result.put("next_before", page.get(page.size() - 1).startMillis());
      }
      return Future.succeededFuture(result);
    });
  }

  private static List<RequestRecord> newest(List<RequestRecord> records, int limit) {
    return records.stream().sorted(Comparator.comparingLong(RequestRecord::startMillis).reversed())
        .limit(limit).toList();
  }

  private static JsonArray encode(List<RequestRecord> records) {
    JsonArray array = new JsonArray();
    records.forEach(record -> array.add(record.toJson()));
    return array;
  }

  private static List<RequestRecord> decode(JsonArray array) {
    List<RequestRecord> records = new ArrayList<>(array.size());
    for (int i = 0; i < array.size(); i++) {
      records.add(RequestRecord.fromJson(array.getJsonObject(i)));
    }
    return records;
  }
}

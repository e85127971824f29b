package io.sluice.cluster.load;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.sluice.autoscaler.metrics.MetricBucket;
import io.sluice.config.AppId;
import io.vertx.core.json.JsonArray;
import io.sluice.cluster.state.MapChanges;
import io.sluice.cluster.state.MemberLeft;
import io.sluice.cluster.state.OrderedWriter;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Each node's recent load per app, shared with the fleet: every node publishes, on its tick, the 1-second buckets of
 * its recent window for each app it has seen traffic for, with its held requests and its requests in flight per
 * replica; every node mirrors what all nodes published. The decider merges the nodes' buckets second by second, so a
 * new decider has the windows so far at once.
 *
 * <p>An entry lives a while after its node's last publication ({@link #TTL_SECONDS}): a node with no traffic for an
 * app stops publishing it, and one that left the fleet is dropped at once.
 */
public final class FleetLoad {

  private static final Logger log = LoggerFactory.getLogger(FleetLoad.class);
  private static final String MAP = "sluice.load";
  public static final int TTL_SECONDS = 120;

  /**
   * One node's load for one app.
   *
   * @param at when it was published (epoch milliseconds)
   * @param buckets its recent 1-second buckets, oldest first
   * @param held requests it holds for a slot
   * @param inFlight requests it has in flight, per replica name (those with none are left out)
   */
  public record NodeLoad(String node, AppId app, long at, List<MetricBucket> buckets, int held,
      Map<String, Integer> inFlight) {

    public NodeLoad {
      buckets = List.copyOf(buckets);
      inFlight = Map.copyOf(inFlight);
    }

    /** Whether there is anything to tell: load in the window, held requests, or requests in flight. */
    public boolean active() {
      return held > 0 || !inFlight.isEmpty()
          || buckets.stream().anyMatch(b -> b.concurrency() > 0 || b.requests() > 0);
    }

    String key() {
      return app.key() + "@" + node;
    }

    String json() {
      JsonArray list = new JsonArray();
      buckets.forEach(b -> list.add(new JsonArray().add(b.epochSecond()).add(b.concurrency()).add(b.requests())));
      return new JsonObject().put("node", node).put("project", app.project()).put("app", app.name()).put("at", at)
          .put("buckets", list).put("held", held).put("in_flight", new JsonObject(new LinkedHashMap<>(inFlight)))
          .encode();
    }

    static NodeLoad parse(String text) {
      JsonObject json = new JsonObject(text);
      List<MetricBucket> buckets = new ArrayList<>();
      for (Object entry : json.getJsonArray("buckets")) {
        JsonArray b = (JsonArray) entry;
        buckets.add(new MetricBucket(b.getLong(0), b.getDouble(1), b.getDouble(2)));
      }
      Map<String, Integer> inFlight = new LinkedHashMap<>();
      json.getJsonObject("in_flight").forEach(e -> inFlight.put(e.getKey(), ((Number) e.getValue()).intValue()));
      return new NodeLoad(json.getString("node"), new AppId(json.getString("project"), json.getString("app")),
          json.getLong("at"), buckets, json.getInteger("held"), inFlight);
    }
  }

  private final HazelcastInstance hazelcast;
  private final IMap<String, String> map;
  private final String self;
  private final Map<String, NodeLoad> mirror = new ConcurrentHashMap<>();
  private final List<Consumer<NodeLoad>> listeners = new CopyOnWriteArrayList<>();
  private final ExecutorService writer;
  private UUID entryListener;
  private UUID membershipListener;

  public FleetLoad(HazelcastInstance hazelcast) {
    this.hazelcast = hazelcast;
    this.map = hazelcast.getMap(MAP);
    this.self = hazelcast.getCluster().getLocalMember().getUuid().toString();
    this.writer = OrderedWriter.start("load");
  }

  /** Hears of every other node's publication, on a Hazelcast event thread. */
  public void subscribe(Consumer<NodeLoad> listener) {
    listeners.add(listener);
  }

  public CompletableFuture<Void> start() {
    return CompletableFuture.runAsync(() -> {
      entryListener = map.addEntryListener(
          MapChanges.fromOthers((key, json) -> arrived(json), (key, old) -> mirror.remove(key)), true);
      membershipListener = hazelcast.getCluster().addMembershipListener(
          new MemberLeft(gone -> mirror.values().removeIf(load -> load.node().equals(gone))));
      for (String value : map.values()) {
        NodeLoad load = NodeLoad.parse(value);
        mirror.put(load.key(), load);
      }
    }, writer);
  }

  public void close() {
    OrderedWriter.close(writer, map, entryListener, hazelcast, membershipListener);
  }

  /** Publishes this node's load for an app: in this node's mirror at once, in the fleet's map soon after. */
  public void publish(NodeLoad load) {
    mirror.put(load.key(), load);
    String json = load.json();
    writer.execute(() -> {
      try {
        map.set(load.key(), json, TTL_SECONDS, TimeUnit.SECONDS);
      } catch (RuntimeException e) {
        log.warn("Could not publish the load of {}: {}", load.app(), e.toString());
      }
    });
  }

  /** Every node's latest load for the app, as this node knows it; never a round trip. */
  public List<NodeLoad> of(AppId app) {
    List<NodeLoad> loads = new ArrayList<>();
    for (NodeLoad load : mirror.values()) {
      if (load.app().equals(app)) {
        loads.add(load);
      }
    }
    return loads;
  }

  public String self() {
    return self;
  }

  private void arrived(String json) {
    NodeLoad load = NodeLoad.parse(json);
    if (load.node().equals(self)) {
      return;
    }
    mirror.put(load.key(), load);
    for (Consumer<NodeLoad> listener : listeners) {
      try {
        listener.accept(load);
      } catch (RuntimeException e) {
        log.error("A load listener failed on {}", load.app(), e);
      }
    }
  }
}

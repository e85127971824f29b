package io.sluice.cluster.decisions;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.sluice.autoscaler.capacity.Pending;
import io.sluice.autoscaler.decision.DeciderState;
import io.sluice.autoscaler.decision.DeciderState.DesiredAt;
import io.sluice.cluster.state.MapChanges;
import io.sluice.cluster.state.OrderedWriter;
import io.sluice.config.AppId;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
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
 * Every app's latest scaling decision, and the fleet's latest placement, shared with every node.
 *
 * <p>One node decides for each app: the owner of the Hazelcast partition of {@link #key(AppId)}, so that apps spread
 * over the fleet and move to another node, with no election of our own, when their decider leaves or dies. A decider
 * writes each decision here with the state its policy keeps from one decision to the next; the node that becomes the
 * app's decider after it resumes from that state rather than from nothing. The node that places replicas reads the
 * counts wanted from here, and writes back which replicas wait for capacity, which the deciders count as pending. Every
 * node mirrors the map, so any node answers scaling queries without a round trip.
 */
public final class FleetDecisions {

  private static final Logger log = LoggerFactory.getLogger(FleetDecisions.class);
  private static final String MAP = "sluice.decisions";
  /** Not an app key: those have a slash. */
  private static final String PLACEMENT_KEY = "placement";
  /** A decider republishes an unchanged decision well within this, so only undeployed apps' entries expire. */
  public static final int TTL_SECONDS = 600;

  /**
   * An app's latest decision.
   *
   * @param decider the node that made it
   * @param at when (epoch milliseconds)
   * @param desired the replica count wanted, replicas waiting for capacity included
   * @param stopping the replicas it has ordered to stop that were not gone yet: the placer holds back from an app whose
   *     stopping replicas this decision does not list all of, since a newer decision is then on its way
   * @param state what the policy carries to its next decision
   * @param summary what the decider saw and decided, as the admin API shows it
   */
  public record AppDecision(AppId app, String decider, long at, int desired, Set<String> stopping,
      boolean panicking, DeciderState state, JsonObject summary) {

    public AppDecision {
      stopping = Set.copyOf(stopping);
    }

    String json() {
      return new JsonObject().put("project", app.project()).put("app", app.name()).put("decider", decider)
          .put("at", at).put("desired", desired).put("stopping", new JsonArray(List.copyOf(new TreeSet<>(stopping))))
          .put("panicking", panicking).put("state", encode(state)).put("summary", summary).encode();
    }

    static AppDecision parse(JsonObject json) {
      Set<String> stopping = new TreeSet<>();
      json.getJsonArray("stopping").forEach(name -> stopping.add((String) name));
      return new AppDecision(new AppId(json.getString("project"), json.getString("app")), json.getString("decider"),
          json.getLong("at"), json.getInteger("desired"), stopping, json.getBoolean("panicking"),
          decode(json.getJsonObject("state")), json.getJsonObject("summary"));
    }
  }

  /**
   * The latest placement over all apps.
   *
   * @param placer the node that placed
   * @param waiting per app, the replicas that wait for capacity and why
   * @param pools the node pools' use, as the admin API shows it
   */
  public record PlacementState(String placer, long at, Map<AppId, Pending> waiting, JsonObject pools) {

    public PlacementState {
      waiting = Map.copyOf(waiting);
    }

    static final PlacementState NONE = new PlacementState("", 0, Map.of(), new JsonObject());

    String json() {
      JsonArray list = new JsonArray();
      waiting.values().forEach(p -> list.add(new JsonObject().put("project", p.app().project())
          .put("app", p.app().name()).put("count", p.count()).put("reason", p.reason())));
      return new JsonObject().put("placer", placer).put("at", at).put("waiting", list).put("pools", pools).encode();
    }

    static PlacementState parse(JsonObject json) {
      Map<AppId, Pending> waiting = new java.util.HashMap<>();
      for (Object entry : json.getJsonArray("waiting")) {
        JsonObject p = (JsonObject) entry;
        AppId app = new AppId(p.getString("project"), p.getString("app"));
        waiting.put(app, new Pending(app, p.getInteger("count"), p.getString("reason")));
      }
      return new PlacementState(json.getString("placer"), json.getLong("at"), waiting, json.getJsonObject("pools"));
    }
  }

  private final HazelcastInstance hazelcast;
  private final IMap<String, String> map;
  private final String self;
  private final Map<AppId, AppDecision> decisions = new ConcurrentHashMap<>();
  private volatile PlacementState placement = PlacementState.NONE;
  private final List<Consumer<AppDecision>> listeners = new CopyOnWriteArrayList<>();
  private final ExecutorService writer;
  private UUID entryListener;

  public FleetDecisions(HazelcastInstance hazelcast) {
    this.hazelcast = hazelcast;
    this.map = hazelcast.getMap(MAP);
    this.self = hazelcast.getCluster().getLocalMember().getUuid().toString();
    this.writer = OrderedWriter.start("decisions");
  }

  /** The key whose partition owner decides for the app. */
  public static String key(AppId app) {
    return "sluice/app/" + app.key();
  }

  /** Hears of every other node's decision, on a Hazelcast event thread. Subscribe before {@link #start()}. */
  public void subscribe(Consumer<AppDecision> listener) {
    listeners.add(listener);
  }

  public CompletableFuture<Void> start() {
    return CompletableFuture.runAsync(() -> {
      entryListener = map.addEntryListener(
          MapChanges.fromOthers((key, json) -> arrived(key, json, true), (key, old) -> gone(key)), true);
      map.forEach((key, value) -> arrived(key, value, false));
    }, writer);
  }

  public void close() {
    OrderedWriter.close(writer, map, entryListener);
  }

  /** Publishes this node's decision for an app: in this node's mirror at once, in the fleet's map soon after. */
  public void publish(AppDecision decision) {
    decisions.put(decision.app(), decision);
    write(decision.app().key(), decision.json());
  }

  /** Publishes this node's placement. */
  public void publish(PlacementState next) {
    placement = next;
    write(PLACEMENT_KEY, next.json());
  }

  private void write(String key, String json) {
    writer.execute(() -> {
      try {
        map.set(key, json, TTL_SECONDS, TimeUnit.SECONDS);
      } catch (RuntimeException e) {
        log.warn("Could not publish the decision {}: {}", key, e.toString());
      }
    });
  }

  /** The app's latest decision as this node knows it; never a round trip. */
  public Optional<AppDecision> of(AppId app) {
    return Optional.ofNullable(decisions.get(app));
  }

  /** The latest placement as this node knows it. */
  public PlacementState placement() {
    return placement;
  }

  public String self() {
    return self;
  }

  private void arrived(String key, String value, boolean tell) {
    JsonObject json = new JsonObject(value);
    if (key.equals(PLACEMENT_KEY)) {
      PlacementState next = PlacementState.parse(json);
      if (!next.placer().equals(self)) {
        placement = next;
      }
      return;
    }
    AppDecision decision = AppDecision.parse(json);
    if (decision.decider().equals(self)) {
      return;
    }
    decisions.put(decision.app(), decision);
    if (tell) {
      for (Consumer<AppDecision> listener : listeners) {
        try {
          listener.accept(decision);
        } catch (RuntimeException e) {
          log.error("A decision listener failed on {}", decision.app(), e);
        }
      }
    }
  }

  private void gone(String key) {
    if (!key.equals(PLACEMENT_KEY)) {
      int slash = key.indexOf('/');
      decisions.remove(new AppId(key.substring(0, slash), key.substring(slash + 1)));
    }
  }

  static JsonObject encode(DeciderState state) {
    JsonArray window = new JsonArray();
    state.scaleDownDelayWindow().forEach(d -> window.add(new JsonArray().add(d.at().toEpochMilli()).add(d.replicas())));
    return new JsonObject()
        .put("last_panic_at", millis(state.lastPanicAt()))
        .put("max_panic_replicas", state.maxPanicReplicas())
        .put("scale_down_delay_window", window)
        .put("initialized", state.initialized())
        .put("active_since", millis(state.activeSince()))
        .put("hold_queue_in_path_since", millis(state.holdQueueInPathSince()))
        .put("last_load_at", millis(state.lastLoadAt()));
  }

  static DeciderState decode(JsonObject json) {
    List<DesiredAt> window = new ArrayList<>();
    for (Object entry : json.getJsonArray("scale_down_delay_window")) {
      JsonArray d = (JsonArray) entry;
      window.add(new DesiredAt(Instant.ofEpochMilli(d.getLong(0)), d.getInteger(1)));
    }
    return new DeciderState(instant(json, "last_panic_at"), json.getInteger("max_panic_replicas"), window,
        json.getBoolean("initialized"), instant(json, "active_since"), instant(json, "hold_queue_in_path_since"),
        instant(json, "last_load_at"));
  }

  private static Long millis(Optional<Instant> at) {
    return at.map(Instant::toEpochMilli).orElse(null);
  }

  private static Optional<Instant> instant(JsonObject json, String key) {
    return Optional.ofNullable(json.getLong(key)).map(Instant::ofEpochMilli);
  }
}

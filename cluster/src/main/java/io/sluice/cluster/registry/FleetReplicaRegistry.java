package io.sluice.cluster.registry;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.sluice.autoscaler.replica.Endpoint;
import io.sluice.autoscaler.replica.ReplicaFailure;
import io.sluice.autoscaler.replica.ReplicaId;
import io.sluice.autoscaler.replica.ReplicaState;
import io.sluice.autoscaler.replica.ReplicaStatus;
import io.sluice.config.AppId;
import io.sluice.cluster.state.MapChanges;
import io.sluice.cluster.state.MemberLeft;
import io.sluice.cluster.state.OrderedWriter;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every replica of the fleet, wherever it runs: a Hazelcast map of replica to its latest status, the node that runs it
 * and the app version it runs, mirrored on every node through a listener so that routing never asks Hazelcast.
 *
 * <p>A node writes the statuses of the replicas it runs; a decider may also write a replica it wants started
 * ({@link ReplicaState#STARTING} on a chosen node) or stopped ({@link ReplicaState#STOPPING}): the node named picks the
 * order up from its mirror. When a node leaves the fleet, or dies, every node drops its replicas from the mirror at
 * once, and the oldest member removes them from the map, so the deciders see them gone and replace them.
 */
public final class FleetReplicaRegistry {

  private static final Logger log = LoggerFactory.getLogger(FleetReplicaRegistry.class);
  private static final String MAP = "sluice.replicas";

  /** What a decider asked of a replica's node. */
  public enum Order {
    /** Nothing: the node reports the replica as it runs it. */
    NONE,
    /** Start it: the decider chose this node for a new replica. */
    START,
    /** Stop it: out of routing on every node at once, stopped by its node once its requests are done. */
    STOP
  }

  /**
   * A replica as the fleet knows it.
   *
   * @param node the fleet member that runs it (its Hazelcast member id)
   * @param generation the app version it runs
   * @param order what its decider asked of it; a stop order stays until the replica is gone
   */
  public record Placed(ReplicaStatus status, String node, long generation, Order order) {

    public ReplicaId id() {
      return status.id();
    }

    /** Whether it counts for scaling and may be routed to once ready: not ordered to stop, not gone. */
    public boolean live() {
      return order != Order.STOP && !status.state().terminal() && status.state() != ReplicaState.STOPPING;
    }

    String json(String writtenBy) {
      JsonObject json = new JsonObject()
          .put("by", writtenBy)
          .put("project", status.id().app().project())
          .put("app", status.id().app().name())
          .put("name", status.id().name())
          .put("state", status.state().name())
          .put("restarts", status.restarts())
          .put("detail", status.detail())
          .put("since", status.since().toString())
          .put("node", node)
          .put("generation", generation)
          .put("order", order.name());
      status.endpoint().ifPresent(e -> json.put("host", e.host()).put("port", e.port()));
      status.failure().ifPresent(failure -> json.put("failure", failure.label()));
      return json.encode();
    }

    static Placed parse(String text) {
      JsonObject json = new JsonObject(text);
      ReplicaId id = new ReplicaId(new AppId(json.getString("project"), json.getString("app")),
          json.getString("name"));
      Optional<Endpoint> endpoint = json.containsKey("host")
          ? Optional.of(new Endpoint(json.getString("host"), json.getInteger("port")))
          : Optional.empty();
      return new Placed(new ReplicaStatus(id, ReplicaState.valueOf(json.getString("state")), endpoint,
          json.getInteger("restarts"), json.getString("detail"), Instant.parse(json.getString("since")),
          Optional.ofNullable(json.getString("failure")).flatMap(ReplicaFailure::ofLabel)),
          json.getString("node"), json.getLong("generation"), Order.valueOf(json.getString("order")));
    }
  }

  private final HazelcastInstance hazelcast;
  private final IMap<String, String> map;
  private final InstantSource clock;
  private final String self;
  private final Map<ReplicaId, Placed> mirror = new ConcurrentHashMap<>();
  private final List<Consumer<Placed>> listeners = new CopyOnWriteArrayList<>();
  private final ExecutorService writer;
  private UUID entryListener;
  private UUID membershipListener;

  public FleetReplicaRegistry(HazelcastInstance hazelcast, InstantSource clock) {
    this.hazelcast = hazelcast;
    this.map = hazelcast.getMap(MAP);
    this.clock = clock;
    this.self = hazelcast.getCluster().getLocalMember().getUuid().toString();
    this.writer = OrderedWriter.start("replicas");
  }

  /** This node's id in the fleet, as {@link Placed#node()} names it. */
  public String self() {
    return self;
  }

  /**
   * Hears of every change, this node's included, on the thread that made it or a Hazelcast event thread. A replica
   * that is gone arrives with a terminal state.
   */
  public void subscribe(Consumer<Placed> listener) {
    listeners.add(listener);
  }

  /** Starts mirroring the fleet's replicas; completes once the mirror holds what the fleet has. */
  public CompletableFuture<Void> start() {
    return CompletableFuture.runAsync(() -> {
      entryListener = map.addEntryListener(
          new MapChanges((key, json) -> arrived(json), (key, old) -> removed(old)), true);
      membershipListener = hazelcast.getCluster().addMembershipListener(new MemberLeft(this::memberLeft));
      for (String value : map.values()) {
        apply(Placed.parse(value));
      }
    }, writer);
  }

  public void close() {
    OrderedWriter.close(writer, map, entryListener, hazelcast, membershipListener);
  }

  /**
   * Records the latest status of a replica this node runs, for the whole fleet: this node's mirror and listeners at
   * once, the fleet's map soon after (in order). A terminal status removes the replica; a stop order stays.
   */
  public void update(ReplicaStatus status, long generation) {
    Placed known = mirror.get(status.id());
    Order order = known != null && known.order() == Order.STOP ? Order.STOP : Order.NONE;
    write(new Placed(status, self, generation, order));
  }

  /** Asks a node to start a new replica: it counts as pending everywhere at once. */
  public void orderStart(ReplicaId id, String node, long generation, Instant now) {
    write(new Placed(new ReplicaStatus(id, ReplicaState.STARTING, Optional.empty(), 0, "ordered", now), node,
        generation, Order.START));
  }

  /** Asks a replica's node to stop it: every node takes it out of routing at once. */
  public void orderStop(ReplicaId id) {
    Placed known = mirror.get(id);
    if (known != null && known.order() != Order.STOP) {
      write(new Placed(known.status(), known.node(), known.generation(), Order.STOP));
    }
  }

  /** Forgets a replica that will never report again (ordered on a node that never started it). */
  public void forget(ReplicaId id) {
    Placed known = mirror.get(id);
    if (known != null) {
      write(new Placed(known.status().with(ReplicaState.STOPPED, "forgotten", clock.instant()), known.node(),
          known.generation(), known.order()));
    }
  }

  private void write(Placed placed) {
    ReplicaStatus status = placed.status();
    apply(placed);
    writer.execute(() -> {
      try {
        // A terminal status is shown to every node before the replica leaves the map, so that all see why it went.
        map.set(status.id().toString(), placed.json(self));
        if (status.state().terminal()) {
          map.delete(status.id().toString());
        }
      } catch (RuntimeException e) {
        log.warn("Could not record {} in the fleet: {}", status.id(), e.toString());
      }
    });
  }

  /** The replicas of an app, as this node knows them; never a round trip. */
  public List<Placed> replicas(AppId app) {
    List<Placed> replicas = new ArrayList<>();
    for (Placed placed : mirror.values()) {
      if (placed.id().app().equals(app)) {
        replicas.add(placed);
      }
    }
    return replicas;
  }

  /** Every replica of the fleet, as this node knows them. */
  public List<Placed> all() {
    return List.copyOf(mirror.values());
  }

  private void apply(Placed placed) {
    if (placed.status().state().terminal()) {
      mirror.remove(placed.id());
    } else {
      mirror.put(placed.id(), placed);
    }
    for (Consumer<Placed> listener : listeners) {
      try {
        listener.accept(placed);
      } catch (RuntimeException e) {
        log.error("A replica listener failed on {}", placed.id(), e);
      }
    }
  }

  /** A change made by another node; this node's own were applied when it made them. */
  private void arrived(String json) {
    if (!self.equals(new JsonObject(json).getString("by"))) {
      apply(Placed.parse(json));
    }
  }

  /** A removal this node made is already out of its mirror. */
  private void removed(String oldJson) {
    if (oldJson == null) {
      return;
    }
    Placed gone = mirror.get(Placed.parse(oldJson).id());
    if (gone != null) {
      apply(new Placed(gone.status().with(ReplicaState.STOPPED, "removed from the fleet", clock.instant()),
          gone.node(), gone.generation(), gone.order()));
    }
  }

  /** A node that left took its replicas with it: they are gone for routing at once, and for the deciders soon. */
  private void memberLeft(String gone) {
    boolean oldest = hazelcast.getCluster().getMembers().iterator().next().localMember();
    for (Placed placed : List.copyOf(mirror.values())) {
      if (placed.node().equals(gone)) {
        apply(new Placed(placed.status().with(ReplicaState.STOPPED, "its node left the fleet", clock.instant()),
            placed.node(), placed.generation(), placed.order()));
        if (oldest) {
          writer.execute(() -> map.remove(placed.id().toString()));
        }
      }
    }
  }
}

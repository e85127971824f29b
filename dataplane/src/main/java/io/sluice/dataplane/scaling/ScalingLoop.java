package io.sluice.dataplane.scaling;

import io.sluice.autoscaler.capacity.AppDemand;
import io.sluice.autoscaler.capacity.CapacityModel;
import io.sluice.autoscaler.capacity.Pending;
import io.sluice.autoscaler.capacity.PlacedReplica;
import io.sluice.autoscaler.capacity.Placement;
import io.sluice.autoscaler.capacity.ReplicaNeed;
import io.sluice.autoscaler.replica.ReplicaState;
import io.sluice.cluster.decisions.FleetDecisions;
import io.sluice.cluster.decisions.FleetDecisions.PlacementState;
import io.sluice.cluster.fleet.Fleet;
import io.sluice.cluster.load.FleetLoad;
import io.sluice.cluster.registry.FleetReplicaRegistry;
import io.sluice.cluster.registry.FleetReplicaRegistry.Order;
import io.sluice.cluster.registry.FleetReplicaRegistry.Placed;
import io.sluice.autoscaler.capacity.PlacementPlan;
import io.sluice.autoscaler.decision.DeciderSpec;
import io.sluice.config.AppId;
import io.sluice.config.NodePoolSpec;
import io.sluice.dataplane.apps.AppDeployer;
import io.sluice.dataplane.apps.AppScaling;
import io.sluice.dataplane.apps.AppState;
import io.sluice.dataplane.apps.DeployedApp;
import io.sluice.dataplane.routing.AppRoute;
import io.sluice.dataplane.routing.SlotShares;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs every app's {@link AppScaler} on one context, on a fixed tick (Knative's 2 s), and at once for an app whose
 * request is held while it has no ready replica — so waking from zero never waits for the tick.
 *
 * <p>Every node runs one, and publishes its load for the fleet each second. Each app has one decider in the fleet: the
 * node that owns the Hazelcast partition of the app's key ({@link FleetDecisions#key}). It decides from the loads all
 * nodes published and the replicas the registry lists, orders scale-downs itself, and shares its decision and its
 * policy's state through {@link FleetDecisions}. When it leaves, the partition's new owner resumes from that state. A
 * request held on any node for an app with no ready replica reaches the decider at once through that node's published
 * load.
 *
 * <p>Placement is one job for the whole fleet, on the node that owns the partition of {@link #LEADER_KEY}: GPUs are
 * shared between apps, so one node decides which new replicas start now, from every app's decided count. Replicas
 * need their app's GPUs, a pool may have to provision a node first, and a short pool is shared fairly
 * ({@link Placement}). It orders starts through the registry, on the member running the fewest replicas. Replicas that
 * must wait for capacity are published with the decisions; the deciders count them as pending. A node that becomes
 * the placer takes the fleet's running replicas into its capacity model first, so that it starts no duplicates.
 */
public final class ScalingLoop implements AppScaling, MergedLoads {

  /** The key whose Hazelcast partition owner places replicas for the fleet. */
  public static final String LEADER_KEY = "sluice/scaling";
  private static final Logger log = LoggerFactory.getLogger(ScalingLoop.class);

  private final Vertx vertx;
  private final Context context;
  private final AppDeployer deployer;
  private final InstantSource clock;
  private final ScalingOptions options;
  private final BiFunction<DeployedApp, Duration, DeciderSpec> specs;
  private final Map<AppId, AppScaler> scalers = new ConcurrentHashMap<>();
  private final Set<AppId> poked = ConcurrentHashMap.newKeySet();
  private final List<Consumer<AppId>> watchers = new CopyOnWriteArrayList<>();
  private final AtomicBoolean placePoked = new AtomicBoolean();
  private CapacityModel capacity;
  private PlacementState placed = null;
  private long timer = -1;
  private long publishTimer = -1;
  private final Fleet fleet;
  private final FleetLoad load;
  private final FleetReplicaRegistry registry;
  private final FleetDecisions decisions;
  private final LoadPublisher publisher;
  private boolean leading;

  /** Runs on {@code context}: its ticks, pokes and placement, one at a time. */
  public ScalingLoop(Vertx vertx, Context context, AppDeployer deployer, InstantSource clock, ScalingOptions options,
      List<NodePoolSpec> nodePools, BiFunction<DeployedApp, Duration, DeciderSpec> specs, Fleet fleet,
      FleetLoad load, FleetReplicaRegistry registry, FleetDecisions decisions) {
    this.vertx = vertx;
    this.fleet = fleet;
    this.load = load;
    this.registry = registry;
    this.decisions = decisions;
    this.publisher = new LoadPublisher(load);
    this.context = context;
    this.deployer = deployer;
    this.clock = clock;
    this.options = options;
    this.specs = specs;
    // Replica names are <app>-<serial>; starting the serial from the clock keeps a restarted node's names (and so
    // their folders and logs) apart from those of the node before it.
    CapacityModel empty = CapacityModel.empty(nodePools);
    this.capacity = new CapacityModel(empty.pools(), empty.nodes(), empty.replicas(), empty.waitingSince(),
        empty.nextNodeSerial(), clock.instant().getEpochSecond() % 1_000_000 * 1000 + 1);
  }

  /** Call before the load and the decisions start. */
  public void start() {
    load.subscribe(this::demandElsewhere);
    decisions.subscribe(decision -> {
      if (leads()) {
        pokePlacement();
      }
    });
    context.runOnContext(v -> {
      timer = vertx.setPeriodic(options.tick().toMillis(), t -> tick(null));
      publishTimer = vertx.setPeriodic(Math.min(1000, options.tick().toMillis()), t -> publishLoads());
    });
  }

  public void stop() {
    context.runOnContext(v -> {
      vertx.cancelTimer(timer);
      vertx.cancelTimer(publishTimer);
    });
  }

  /** Whether this node places replicas for the whole fleet now: it owns the partition of {@link #LEADER_KEY}. */
  public boolean leads() {
    return fleet.owns(LEADER_KEY);
  }

  /** Whether this node is the app's decider now. */
  public boolean decides(AppId app) {
    return fleet.owns(FleetDecisions.key(app));
  }

  /** The apps this node decides for now, by key, sorted. */
  public List<String> decidedHere() {
    return scalers.keySet().stream().filter(this::decides).map(AppId::key).sorted().toList();
  }

  private void publishLoads() {
    long now = clock.millis();
    List<String> members = fleet.memberIds();
    for (AppScaler scaler : scalers.values()) {
      publisher.publish(scaler.app(), now);
      shareSlots(scaler.app().route(), members);
      decisions.of(scaler.app().spec().id())
          .ifPresent(decision -> scaler.app().route().decided(decision.desired(), decision.panicking()));
      changed(scaler.app().spec().id());
    }
  }

  @Override
  public void watch(Consumer<AppId> changed) {
    watchers.add(changed);
  }

  private void changed(AppId app) {
    for (Consumer<AppId> watcher : watchers) {
      try {
        watcher.accept(app);
      } catch (RuntimeException e) {
        // A watcher's failure must not stop the loop that publishes every app's load.
        log.error("A load watcher failed on {}", app, e);
      }
    }
  }

  /**
   * Takes this node's part of each ready replica's hard limit, from every member's demand as last published
   * ({@link SlotShares}); a node alone takes all of it.
   */
  private void shareSlots(AppRoute route, List<String> members) {
    List<String> replicas = new ArrayList<>();
    route.readyReplicas().forEach(replica -> replicas.add(replica.id().name()));
    if (replicas.isEmpty() || members.size() <= 1) {
      // No replica to share yet: the fleet's size still sets the part a replica that becomes ready starts with.
      route.share(Map.of(), members.size());
      return;
    }
    Collections.sort(replicas);
    Map<String, Integer> demand = new HashMap<>();
    for (FleetLoad.NodeLoad nodeLoad : load.of(route.spec().id())) {
      demand.put(nodeLoad.node(), nodeLoad.held()
          + nodeLoad.inFlight().values().stream().mapToInt(Integer::intValue).sum());
    }
    demand.put(load.self(), route.heldCount() + route.inFlight());
    route.share(SlotShares.of(route.hardLimit(), members, load.self(), demand, replicas), members.size());
  }

  /**
   * Decides for one app (a poke) or all of them, those this node is the decider of; then, on the node that places,
   * places what every app's decider wants. A node that has just become the placer first takes the fleet's running
   * replicas into its capacity model, so that it starts no duplicates.
   */
  private void tick(AppScaler only) {
    publishLoads();
    Instant now = clock.instant();
    Map<AppId, Pending> waiting = decisions.placement().waiting();
    for (AppScaler scaler : only == null ? List.copyOf(scalers.values()) : List.of(only)) {
      AppId id = scaler.app().spec().id();
      if (!decides(id)) {
        scaler.handOver();
        continue;
      }
      if (!scaler.deciding()) {
        scaler.takeOver(now);
      }
      Pending pending = waiting.get(id);
      scaler.decide(now, pending == null ? 0 : pending.count(), pending == null ? null : pending.reason());
    }
    if (!leads()) {
      leading = false;
      return;
    }
    if (!leading) {
      leading = true;
      continueSerials();
    }
    place(now);
  }

  /** Another node's decider decided: the placer places at once rather than at its next tick. Coalesced. */
  private void pokePlacement() {
    if (placePoked.compareAndSet(false, true)) {
      context.runOnContext(v -> {
        placePoked.set(false);
        if (leading && leads()) {
          place(clock.instant());
        }
      });
    }
  }

  /** A new leader names its replicas after the highest serial the fleet has used, so that no two share a name. */
  private void continueSerials() {
    long highest = 0;
    for (Placed placed : registry.all()) {
      String name = placed.id().name();
      try {
        highest = Math.max(highest, Long.parseLong(name.substring(name.lastIndexOf('-') + 1)));
      } catch (NumberFormatException notOurs) {
        // Not a name placement gave: it cannot collide with one.
      }
    }
    if (highest >= capacity.nextReplicaSerial()) {
      capacity = new CapacityModel(capacity.pools(), capacity.nodes(), capacity.replicas(), capacity.waitingSince(),
          capacity.nextNodeSerial(), highest + 1);
    }
  }

  /** Takes into the capacity model the fleet's replicas it does not hold (all of them, for a new leader). */
  private void adoptRunning(Instant now) {
    for (AppScaler scaler : scalers.values()) {
      DeployedApp app = scaler.app();
      if (app.spec().container().observeOnly()) {
        continue; // its pods are not Sluice's to place
      }
      ReplicaNeed need = ReplicaNeed.of(app.spec().hardware());
      for (var replica : app.replicas()) {
        if (app.holdsCapacity(replica.id())) {
          capacity = capacity.adopt(replica.id(), need, now);
        }
      }
    }
  }

  /** Orders for a version the app no longer runs are dropped: no node will ever carry them out. */
  private void dropStaleOrders() {
    for (Placed placed : registry.all()) {
      AppScaler scaler = scalers.get(placed.id().app());
      boolean stale = scaler == null || scaler.app().generation() != placed.generation();
      if (stale && placed.order() == Order.START && placed.status().state() == ReplicaState.STARTING
          && placed.status().endpoint().isEmpty() && placed.status().detail().equals("ordered")) {
        registry.forget(placed.id());
      }
    }
  }

  /**
   * The member to start a new replica on: the one running the fewest replicas now, this node on a tie. Replicas the
   * whole fleet shares (a cluster's pods) are all started by this node, the one that places replicas, so that one
   * node alone writes their count.
   */
  private String chooseNode() {
    if (deployer.replicasSharedByTheFleet()) {
      return registry.self();
    }
    Map<String, Integer> counts = new HashMap<>();
    for (String member : fleet.memberIds()) {
      counts.put(member, 0);
    }
    for (Placed placed : registry.all()) {
      if (placed.live()) {
        counts.computeIfPresent(placed.node(), (member, count) -> count + 1);
      }
    }
    String self = registry.self();
    return counts.entrySet().stream()
        .min(Comparator.comparingInt((Map.Entry<String, Integer> e) -> e.getValue())
            .thenComparing(e -> !e.getKey().equals(self))
            .thenComparing(Map.Entry::getKey))
        .map(Map.Entry::getKey).orElse(self);
  }

  private void place(Instant now) {
    adoptRunning(now);
    dropStaleOrders();
    for (PlacedReplica placed : capacity.replicas()) {
      AppScaler scaler = scalers.get(placed.replica().app());
      if (scaler == null || !scaler.app().holdsCapacity(placed.replica())) {
        capacity = capacity.withoutReplica(placed.replica());
      }
    }
    List<AppDemand> demands = new ArrayList<>();
    for (AppScaler scaler : scalers.values()) {
      DeployedApp app = scaler.app();
      if (app.state() == AppState.FAILED || app.spec().container().observeOnly()) {
        continue;
      }
      int min = app.spec().scaling().minReplicas();
      int desired = Math.max(min, placeable(decisions.of(app.spec().id()), app.drainingNames(),
          app.liveReplicas().size()).orElse(min));
      demands.add(AppDemand.of(app.spec(), desired + app.drainingCount(), app.deployedAt()));
    }
    PlacementPlan plan = Placement.decide(capacity, demands, now);
    capacity = plan.next();
    for (PlacedReplica start : plan.starts()) {
      AppScaler scaler = scalers.get(start.replica().app());
      if (scaler != null) {
        deployer.orderReplica(scaler.app(), start.replica(), chooseNode());
      }
    }
    Map<AppId, Pending> nowWaiting = new HashMap<>();
    for (Pending pending : plan.pending()) {
      nowWaiting.put(pending.app(), pending);
    }
    JsonObject pools = describe(plan);
    // Published when it changes, and now and then so that it does not expire.
    if (placed == null || !placed.waiting().equals(nowWaiting) || !placed.pools().equals(pools)
        || now.toEpochMilli() - placed.at() > FleetDecisions.TTL_SECONDS * 1000L / 4) {
      placed = new PlacementState(registry.self(), now.toEpochMilli(), nowWaiting, pools);
      decisions.publish(placed);
    }
  }

  /**
   * The count to place for an app from its latest decision. A replica being stopped that the decision does not list
   * was stopped by a newer decision, still on its way: this one's count would start replacements for replicas stopped
   * on purpose, so the app keeps the replicas it has until the newer one arrives.
   */
  static Optional<Integer> placeable(Optional<FleetDecisions.AppDecision> decision, Set<String> draining, int live) {
    return decision.map(d -> d.stopping().containsAll(draining) ? d.desired() : Math.min(d.desired(), live));
  }

  private JsonObject describe(PlacementPlan plan) {
    JsonArray described = new JsonArray();
    for (NodePoolSpec pool : capacity.pools()) {
      int gpusUsed = 0;
      int nodes = 0;
      for (var node : capacity.nodesOf(pool.name())) {
        nodes++;
        gpusUsed += capacity.gpusUsed(node.id());
      }
      described.add(new JsonObject()
          .put("name", pool.name())
          .put("pool", pool.describe())
          .put("nodes", nodes)
          .put("max_nodes", pool.maxNodes())
          .put("gpus_used", gpusUsed)
          .put("gpus_total", pool.isCpuPool() ? 0 : nodes * pool.gpusPerNode()));
    }
    JsonArray pending = new JsonArray();
    plan.pending().forEach(p -> pending.add(new JsonObject().put("app", p.app().key()).put("replicas", p.count())
        .put("reason", p.reason())));
    return new JsonObject().put("pools", described).put("waiting_for_capacity", pending);
  }

  @Override
  public void added(DeployedApp app) {
    AppId id = app.spec().id();
    context.runOnContext(v -> {
      AppScaler scaler = new AppScaler(app, load, registry, decisions, options.policy(), specs);
      scalers.put(id, scaler);
      app.route().onDemand(() -> poke(id));
      tick(scaler);
    });
  }

  @Override
  public void removed(DeployedApp app) {
    context.runOnContext(v -> {
      AppScaler scaler = scalers.get(app.spec().id());
      if (scaler != null && scaler.app() == app) {
        scalers.remove(app.spec().id());
        publisher.forget(app.spec().id());
      }
    });
  }

  /**
   * A request held for an app with no ready replica, here or on another node: the app's decider decides at once
   * rather than at its next tick, and a node that is not the decider publishes its load at once so that the decider
   * hears of it. Coalesced: many requests held at once cause one extra decision.
   */
  private void poke(AppId id) {
    if (poked.add(id)) {
      context.runOnContext(v -> {
        poked.remove(id);
        AppScaler scaler = scalers.get(id);
        if (scaler != null) {
          tick(scaler);
        }
      });
    }
  }

  /**
   * Another node published its load for an app: watchers hear of it; and if it holds requests while no replica of the
   * app is ready, the app is waking, and its decider acts now.
   */
  private void demandElsewhere(FleetLoad.NodeLoad nodeLoad) {
    changed(nodeLoad.app());
    AppScaler scaler = scalers.get(nodeLoad.app());
    if (nodeLoad.held() > 0 && scaler != null && scaler.app().route().readyReplicas().isEmpty()
        && decides(nodeLoad.app())) {
      poke(nodeLoad.app());
    }
  }

  /**
   * The app's scaling state, for the admin API: on its decider, with its recent decisions; elsewhere, the decider's
   * latest decision as shared with the fleet.
   */
  public Optional<JsonObject> snapshot(AppId id) {
    AppScaler scaler = scalers.get(id);
    if (scaler == null) {
      return Optional.empty();
    }
    Optional<FleetDecisions.AppDecision> last = decisions.of(id);
    JsonObject state = scaler.deciding() ? scaler.snapshot()
        : last.map(decision -> decision.summary().copy()).orElseGet(JsonObject::new);
    return Optional.of(state.put("decider", last.map(FleetDecisions.AppDecision::decider).orElse(null))
        .put("decided_here", scaler.deciding()));
  }

  /**
   * What an outside autoscaler needs to know of an app (KEDA's metrics API scaler, an HPA through a metrics adapter):
   * its concurrency and request rate over both windows, fleet-wide and per node, its held requests, its replicas
   * desired, ready and pending, and whether its decider panics. Answered from this node's mirrors of the fleet's
   * loads and decisions, so any node answers, never with a round trip; the loads are at most a publication tick old.
   */
  public Optional<JsonObject> metrics(AppId id) {
    AppScaler scaler = scalers.get(id);
    if (scaler == null) {
      return Optional.empty();
    }
    DeployedApp app = scaler.app();
    DeciderSpec spec = specs.apply(app, app.lastStartup().orElse(Duration.ZERO));
    Instant now = clock.instant();
    JsonArray nodes = new JsonArray();
    for (FleetLoad.NodeLoad nodeLoad : load.of(id)) {
      nodes.add(LoadAverages.of(List.of(nodeLoad), spec.stableWindow(), spec.panicWindow(), now).json()
          .put("node", nodeLoad.node())
          .put("published_at", Instant.ofEpochMilli(nodeLoad.at()).toString())
          .put("in_flight", inFlight(nodeLoad))
          .put("queue_depth", nodeLoad.held()));
    }
    MergedLoad fleet = merged(app, spec, now);
    Optional<FleetDecisions.AppDecision> decision = decisions.of(id);
    List<io.sluice.autoscaler.replica.ReplicaStatus> live = app.liveReplicas();
    long ready = live.stream().filter(r -> r.state() == ReplicaState.READY).count();
    Pending waiting = decisions.placement().waiting().get(id);
    int waitingCount = waiting == null ? 0 : waiting.count();
    return Optional.of(new JsonObject()
        .put("project", id.project())
        .put("name", id.name())
        .put("at", now.toString())
        .put("metric", spec.metric().configName())
        .put("target_per_replica", spec.targetPerReplica())
        .put("stable_window_seconds", spec.stableWindow().toMillis() / 1000.0)
        .put("panic_window_seconds", spec.panicWindow().toMillis() / 1000.0)
        .put("fleet", new LoadAverages(fleet.stableConcurrency(), fleet.panicConcurrency(), fleet.stableRate(),
            fleet.panicRate()).json()
            .put("in_flight", fleet.inFlight())
            .put("queue_depth", fleet.held()))
        .put("nodes", nodes)
        .put("replicas", new JsonObject()
            .put("desired", decision.map(FleetDecisions.AppDecision::desired).orElse(null))
            .put("ready", ready)
            .put("pending", live.size() - ready + waitingCount)
            .put("waiting_for_capacity", waitingCount))
        .put("panicking", decision.map(FleetDecisions.AppDecision::panicking).orElse(false))
        .put("decider", decision.map(FleetDecisions.AppDecision::decider).orElse(null))
        .put("decided_at", decision.map(d -> Instant.ofEpochMilli(d.at()).toString()).orElse(null)));
  }

  /**
   * The app's load over the fleet, from this node's mirror of every node's published load: the same numbers as
   * {@link #metrics}'s {@code fleet}, never a round trip.
   */
  @Override
  public Optional<MergedLoad> merged(AppId id) {
    AppScaler scaler = scalers.get(id);
    if (scaler == null) {
      return Optional.empty();
    }
    DeployedApp app = scaler.app();
    return Optional.of(merged(app, specs.apply(app, app.lastStartup().orElse(Duration.ZERO)), clock.instant()));
  }

  private MergedLoad merged(DeployedApp app, DeciderSpec spec, Instant now) {
    List<FleetLoad.NodeLoad> loads = load.of(app.spec().id());
    int inFlight = 0;
    int held = 0;
    for (FleetLoad.NodeLoad nodeLoad : loads) {
      inFlight += inFlight(nodeLoad);
      held += nodeLoad.held();
    }
    LoadAverages averages = LoadAverages.of(loads, spec.stableWindow(), spec.panicWindow(), now);
    return new MergedLoad(app.spec().id(), spec.metric(), spec.targetPerReplica(), averages.stableConcurrency(),
        averages.panicConcurrency(), averages.stableRate(), averages.panicRate(), inFlight, held);
  }

  private static int inFlight(FleetLoad.NodeLoad nodeLoad) {
    return nodeLoad.inFlight().values().stream().mapToInt(Integer::intValue).sum();
  }

  /** Node pools, their use, and what waits for capacity, as the placing node last published them. */
  public JsonObject capacity() {
    return decisions.placement().pools().copy();
  }
}

package io.sluice.dataplane.scaling;

import io.sluice.autoscaler.capacity.AppDemand;
import io.sluice.autoscaler.capacity.CapacityModel;
import io.sluice.autoscaler.capacity.Pending;
import io.sluice.autoscaler.capacity.PlacedReplica;
import io.sluice.autoscaler.capacity.Placement;
import io.sluice.autoscaler.capacity.PlacementPlan;
import io.sluice.autoscaler.decision.DeciderSpec;
import io.sluice.autoscaler.replica.ReplicaId;
import io.sluice.config.AppId;
import io.sluice.config.NodePoolSpec;
import io.sluice.dataplane.apps.AppDeployer;
import io.sluice.dataplane.apps.AppScaling;
import io.sluice.dataplane.apps.AppState;
import io.sluice.dataplane.apps.DeployedApp;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;

/**
 * Runs every app's {@link AppScaler} on one context, on a fixed tick (Knative's 2 s), and at once for an app whose
 * request is held while it has no ready replica — so waking from zero never waits for the tick.
 *
 * <p>After the deciders, one placement over all apps decides which new replicas can start now: replicas need their
 * app's GPUs, a pool may have to provision a node first, and a short pool is shared fairly ({@link Placement}).
 * Replicas that must wait for capacity count as pending for the decider and show their reason in the admin API.
 */
public final class ScalingLoop implements AppScaling {

  private final Vertx vertx;
  private final Context context;
  private final AppDeployer deployer;
  private final InstantSource clock;
  private final ScalingOptions options;
  private final BiFunction<DeployedApp, Duration, DeciderSpec> specs;
  private final Map<AppId, AppScaler> scalers = new ConcurrentHashMap<>();
  private final Set<AppId> poked = ConcurrentHashMap.newKeySet();
  private final Map<AppId, Integer> wanted = new HashMap<>();
  private Map<AppId, Pending> waiting = Map.of();
  private CapacityModel capacity;
  private volatile JsonObject pools = new JsonObject();
  private long timer = -1;

  public ScalingLoop(Vertx vertx, AppDeployer deployer, InstantSource clock, ScalingOptions options,
      List<NodePoolSpec> nodePools, BiFunction<DeployedApp, Duration, DeciderSpec> specs) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
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

  public void start() {
    context.runOnContext(v -> timer = vertx.setPeriodic(options.tick().toMillis(), t -> tick(null)));
  }

  public void stop() {
    context.runOnContext(v -> vertx.cancelTimer(timer));
  }

  /** Decides for one app (a poke) or all of them, then places what they want. */
  private void tick(AppScaler only) {
    Instant now = clock.instant();
    for (AppScaler scaler : only == null ? List.copyOf(scalers.values()) : List.of(only)) {
      AppId id = scaler.app().spec().id();
      Pending pending = waiting.get(id);
      int desired = scaler.decide(now, pending == null ? 0 : pending.count(),
          pending == null ? null : pending.reason(), this::stopped);
      wanted.put(id, desired);
    }
    place(now);
  }

  private void place(Instant now) {
    for (PlacedReplica placed : capacity.replicas()) {
      AppScaler scaler = scalers.get(placed.replica().app());
      if (scaler == null || !scaler.app().holdsCapacity(placed.replica())) {
        capacity = capacity.withoutReplica(placed.replica());
      }
    }
    List<AppDemand> demands = new ArrayList<>();
    for (AppScaler scaler : scalers.values()) {
      DeployedApp app = scaler.app();
      if (app.state() == AppState.FAILED) {
        continue;
      }
      int min = app.spec().scaling().minReplicas();
      int desired = Math.max(min, wanted.getOrDefault(app.spec().id(), min));
      demands.add(AppDemand.of(app.spec(), desired + app.drainingCount(), app.deployedAt()));
    }
    PlacementPlan plan = Placement.decide(capacity, demands, now);
    capacity = plan.next();
    for (PlacedReplica start : plan.starts()) {
      AppScaler scaler = scalers.get(start.replica().app());
      if (scaler != null) {
        deployer.startReplica(scaler.app(), start.replica());
      }
    }
    Map<AppId, Pending> nowWaiting = new HashMap<>();
    for (Pending pending : plan.pending()) {
      nowWaiting.put(pending.app(), pending);
    }
    waiting = nowWaiting;
    pools = describe(plan);
  }

  private void stopped(ReplicaId id) {
    capacity = capacity.withoutReplica(id);
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
      AppScaler scaler = new AppScaler(app, deployer, vertx, options.policy(), specs);
      scalers.put(id, scaler);
      app.route().onDemand(() -> poke(id, scaler));
      tick(scaler);
    });
  }

  @Override
  public void removed(DeployedApp app) {
    context.runOnContext(v -> {
      AppScaler scaler = scalers.get(app.spec().id());
      if (scaler != null && scaler.app() == app) {
        scalers.remove(app.spec().id());
        wanted.remove(app.spec().id());
      }
    });
  }

  /** Coalesces pokes: many requests held at once cause one extra decision. */
  private void poke(AppId id, AppScaler scaler) {
    if (poked.add(id)) {
      context.runOnContext(v -> {
        poked.remove(id);
        if (scalers.get(id) == scaler) {
          tick(scaler);
        }
      });
    }
  }

  /** The app's scaling state and recent decisions, for the admin API. */
  public Optional<JsonObject> snapshot(AppId id) {
    return Optional.ofNullable(scalers.get(id)).map(AppScaler::snapshot);
  }

  /** Node pools, their use, and what waits for capacity, for the admin API. */
  public JsonObject capacity() {
    return pools.copy();
  }
}

package io.sluice.autoscaler.capacity;

import io.sluice.autoscaler.replica.ReplicaId;
import io.sluice.config.AppId;
import io.sluice.config.NodePoolSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Decides, once per tick, where the replicas that apps want run, which wait, which stop, and which nodes the pools
 * should add or give back. A pure function of a {@link CapacityModel}, the apps' {@link AppDemand}s and the time.
 *
 * <p>On each tick, in this order:
 * <ol>
 *   <li><b>Scale down.</b> Replicas of apps absent from the demands stop. An app with more replicas than it wants
 *       loses them one at a time from the emptiest node holding one of its replicas (fewest GPUs — vCPUs in a CPU
 *       pool — in use, then fewest replicas, then the newest node), so that nodes empty out and can be released.
 *       Their capacity is free for this same tick.</li>
 *   <li><b>Keep {@code min_nodes}.</b> A pool with fewer nodes, provisioning ones included, is asked for more.</li>
 *   <li><b>Grow, sharing fairly</b> (below). Each replica granted goes to the fullest ready node it fits on (best fit,
 *       oldest node on a tie), so that partly used nodes fill up before empty ones are touched. When no ready node
 *       has room it waits for a provisioning node with room ("waiting for a node in pool l4 (ready in 42 s)"), or the
 *       pool is asked for a new node if it has fewer than {@code max_nodes}; else it stays pending
 *       ("pool l4 at max_nodes 4"). A replica is started only on a ready node; waiting replicas are placed on the
 *       first tick their node is ready, by the same rule.</li>
 *   <li><b>Release idle nodes.</b> A ready node that holds no replica is idle from the first tick that sees it so; once
 *       idle for its pool's {@code idle_node_seconds} it is released, longest idle first, never taking the pool below
 *       {@code min_nodes}. A node asked for and no longer needed is not cancelled: it comes up, idles and is
 *       released like any other.</li>
 * </ol>
 *
 * <p><b>Fair sharing of a short pool.</b> Replicas are granted one at a time. First, each app's {@code min_replicas}
 * in deploy order (earliest deployed first). Then max-min fair sharing ("water-filling") in the pool's scarce unit
 * (GPUs; vCPUs in a CPU pool): the next replica goes to the app that holds the fewest units in the pool — its placed
 * replicas plus what it was granted this tick, including replicas waiting for a provisioning node — ties to the app
 * that has waited longest, then to the earliest deployed, then by app key. An app whose next replica fits nowhere
 * and cannot get a new node drops out for the tick, so a small replica may still use room a big one cannot. Placed
 * replicas are never taken away for another app's growth (no preemption): an app holding more than its share keeps
 * it, and the capacity it frees when it scales down goes to whoever is then furthest below its share. So apps that
 * grow together on a short pool end up within one replica of each other in GPUs, an app that arrives late gets every
 * GPU freed until it catches up, neither starves, and the result depends on nothing but the inputs.
 *
 * <p>An app whose GPU model no pool has, or whose replica is larger than any node of its pool, stays pending with a
 * reason that says so.
 */
public final class Placement {

  private Placement() {}

  public static PlacementPlan decide(CapacityModel model, List<AppDemand> demands, Instant now) {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(demands, "demands");
    Objects.requireNonNull(now, "now");
    Map<AppId, AppDemand> byApp = new HashMap<>();
    for (AppDemand demand : demands) {
      if (byApp.putIfAbsent(demand.app(), demand) != null) {
        throw new IllegalArgumentException("demands: " + demand.app() + " twice (expected: one demand per app)");
      }
    }
    List<AppDemand> ordered = demands.stream()
        .sorted(Comparator.comparing(AppDemand::deployedAt).thenComparing(demand -> demand.app().key()))
        .toList();
    Sheet sheet = new Sheet(model, now);

    for (PlacedReplica replica : model.replicas()) {
      if (!byApp.containsKey(replica.replica().app())) {
        sheet.stop(replica);
      }
    }
    for (AppDemand demand : ordered) {
      for (int excess = sheet.placedCount(demand.app()) - demand.wanted(); excess > 0; excess--) {
        sheet.stop(sheet.replicaToRemove(demand.app()));
      }
    }
    for (NodePoolSpec pool : model.pools()) {
      while (sheet.nodeCount(pool) < pool.minNodes()) {
        sheet.provision(pool);
      }
    }
    Map<AppId, List<Pending>> pending = grow(model, ordered, sheet);
    sheet.releaseIdleNodes();

    Map<AppId, Instant> waitingSince = new HashMap<>();
    List<Pending> allPending = new ArrayList<>();
    for (AppDemand demand : ordered) {
      List<Pending> appPending = pending.getOrDefault(demand.app(), List.of());
      allPending.addAll(appPending);
      if (!appPending.isEmpty()) {
        waitingSince.put(demand.app(), model.waitingSince().getOrDefault(demand.app(), now));
      }
    }
    return new PlacementPlan(sheet.next(waitingSince), sheet.starts, sheet.stops, allPending, sheet.provisions,
        sheet.releases);
  }

  /** One app's share of a pool, as replicas are granted one by one. */
  private static final class Claim {
    final AppDemand demand;
    final NodePoolSpec pool;
    final Instant waitingSince;
    int remaining;
    int belowMin;
    double units;
    String blocked;
    final Map<String, Integer> waiting = new LinkedHashMap<>();

    Claim(AppDemand demand, NodePoolSpec pool, Instant waitingSince, int remaining, int belowMin, double units) {
      this.demand = demand;
      this.pool = pool;
      this.waitingSince = waitingSince;
      this.remaining = remaining;
      this.belowMin = belowMin;
      this.units = units;
    }

    boolean wantsMore() {
      return remaining > 0 && blocked == null;
    }
  }

  private static final Comparator<Claim> FURTHEST_BELOW_SHARE = Comparator.<Claim>comparingDouble(c -> c.units)
      .thenComparing(c -> c.waitingSince)
      .thenComparing(c -> c.demand.deployedAt())
      .thenComparing(c -> c.demand.app().key());

  private static Map<AppId, List<Pending>> grow(CapacityModel model, List<AppDemand> ordered, Sheet sheet) {
    Map<AppId, List<Pending>> pending = new HashMap<>();
    List<Claim> claims = new ArrayList<>();
    for (AppDemand demand : ordered) {
      int placed = sheet.placedCount(demand.app());
      int missing = demand.wanted() - placed;
      if (missing <= 0) {
        continue;
      }
      Optional<NodePoolSpec> pool = model.poolFor(demand.need());
      Optional<String> never = pool.isEmpty()
          ? Optional.of(noPool(demand.need()))
          : demand.need().whyNeverFits(pool.get());
      if (never.isPresent()) {
        pending.put(demand.app(), List.of(new Pending(demand.app(), missing, never.get())));
        continue;
      }
      Instant waitingSince = model.waitingSince().getOrDefault(demand.app(), sheet.now);
      claims.add(new Claim(demand, pool.get(), waitingSince, missing,
          Math.max(0, demand.minReplicas() - placed), sheet.unitsOf(demand.app())));
    }

    for (Claim claim : claims) {
      while (claim.belowMin > 0 && claim.wantsMore()) {
        grant(claim, sheet);
        claim.belowMin--;
      }
    }
    while (true) {
      Optional<Claim> next = claims.stream().filter(Claim::wantsMore).min(FURTHEST_BELOW_SHARE);
      if (next.isEmpty()) {
        break;
      }
      grant(next.get(), sheet);
    }

    for (Claim claim : claims) {
      List<Pending> appPending = new ArrayList<>();
      claim.waiting.forEach((reason, count) -> appPending.add(new Pending(claim.demand.app(), count, reason)));
      if (claim.remaining > 0) {
        appPending.add(new Pending(claim.demand.app(), claim.remaining, claim.blocked));
      }
      if (!appPending.isEmpty()) {
        pending.put(claim.demand.app(), appPending);
      }
    }
    return pending;
  }

  /** Places one more replica of the claim's app, or makes it wait for a node, or marks the app blocked. */
  private static void grant(Claim claim, Sheet sheet) {
    ReplicaNeed need = claim.demand.need();
    NodePoolSpec pool = claim.pool;
    Optional<Node> ready = sheet.fullestReadyNodeWithRoom(pool, need);
    if (ready.isEmpty()) {
      Optional<Node> coming = sheet.soonestProvisioningNodeWithRoom(pool, need);
      if (coming.isEmpty() && sheet.nodeCount(pool) < pool.maxNodes()) {
        Node added = sheet.provision(pool);
        if (added.isReady(sheet.now)) {
          ready = Optional.of(added);
        } else {
          coming = Optional.of(added);
        }
      }
      if (ready.isEmpty() && coming.isEmpty()) {
        claim.blocked = "pool " + pool.name() + " at max_nodes " + pool.maxNodes();
        return;
      }
      if (ready.isEmpty()) {
        sheet.reserve(coming.get(), need);
        claim.waiting.merge(waitingFor(pool, coming.get(), sheet.now), 1, Integer::sum);
      }
    }
    ready.ifPresent(node -> sheet.place(claim.demand.app(), need, node));
    claim.remaining--;
    claim.units += need.shareUnits();
  }

  private static String waitingFor(NodePoolSpec pool, Node node, Instant now) {
    Duration left = Duration.between(now, node.readyAt());
    long seconds = left.getSeconds() + (left.getNano() > 0 ? 1 : 0);
    return "waiting for a node in pool " + pool.name() + " (ready in " + seconds + " s)";
  }

  private static String noPool(ReplicaNeed need) {
    return need.gpu()
        .map(gpu -> "no node pool has " + gpu + " GPUs; add a [[pools]] table with gpu = \"" + gpu
            + "\" to the node's sluice.toml")
        .orElse("no CPU node pool; add a [[pools]] table without gpu to the node's sluice.toml");
  }

  /** The working copy of the model during one tick, and what the tick decided so far. */
  private static final class Sheet {
    final Instant now;
    final List<NodePoolSpec> pools;
    final Map<String, NodePoolSpec> poolsByName = new HashMap<>();
    final LinkedHashMap<NodeId, Node> nodes = new LinkedHashMap<>();
    final List<PlacedReplica> replicas;
    /** What placed replicas, and replicas waiting for a provisioning node, take of each node. */
    final Map<NodeId, NodeLoad> loads = new HashMap<>();
    long nextNodeSerial;
    long nextReplicaSerial;

    final List<PlacedReplica> starts = new ArrayList<>();
    final List<PlacedReplica> stops = new ArrayList<>();
    final List<Node> provisions = new ArrayList<>();
    final List<Node> releases = new ArrayList<>();

    Sheet(CapacityModel model, Instant now) {
      this.now = now;
      this.pools = model.pools();
      pools.forEach(pool -> poolsByName.put(pool.name(), pool));
      model.nodes().forEach(node -> {
        nodes.put(node.id(), node);
        loads.put(node.id(), NodeLoad.EMPTY);
      });
      this.replicas = new ArrayList<>(model.replicas());
      replicas.forEach(replica -> loads.merge(replica.node(), NodeLoad.EMPTY.plus(replica.need()),
          (load, ignored) -> load.plus(replica.need())));
      this.nextNodeSerial = model.nextNodeSerial();
      this.nextReplicaSerial = model.nextReplicaSerial();
    }

    NodePoolSpec poolOf(NodeId node) {
      return poolsByName.get(node.pool());
    }

    int nodeCount(NodePoolSpec pool) {
      return (int) nodes.keySet().stream().filter(id -> id.pool().equals(pool.name())).count();
    }

    int placedCount(AppId app) {
      return (int) replicas.stream().filter(replica -> replica.replica().app().equals(app)).count();
    }

    double unitsOf(AppId app) {
      return replicas.stream()
          .filter(replica -> replica.replica().app().equals(app))
          .mapToDouble(replica -> replica.need().shareUnits())
          .sum();
    }

    void stop(PlacedReplica replica) {
      replicas.remove(replica);
      loads.computeIfPresent(replica.node(), (id, load) -> load.minus(replica.need()));
      stops.add(replica);
    }

    /** The app's newest replica on the emptiest node that holds one of its replicas. */
    PlacedReplica replicaToRemove(AppId app) {
      Comparator<NodeId> emptiest = Comparator.<NodeId>comparingDouble(id -> loads.get(id).units(poolOf(id)))
          .thenComparingInt(id -> loads.get(id).replicas())
          .thenComparing(Comparator.comparingLong(NodeId::serial).reversed());
      List<PlacedReplica> ofApp = replicas.stream().filter(replica -> replica.replica().app().equals(app)).toList();
      NodeId node = ofApp.stream().map(PlacedReplica::node).min(emptiest).orElseThrow();
      return ofApp.stream().filter(replica -> replica.node().equals(node)).reduce((first, second) -> second)
          .orElseThrow();
    }

    Node provision(NodePoolSpec pool) {
      NodeId id = new NodeId(pool.name(), nextNodeSerial++);
      Node node = new Node(id, now, now.plus(pool.provisionTime()), Optional.empty());
      nodes.put(id, node);
      loads.put(id, NodeLoad.EMPTY);
      provisions.add(node);
      return node;
    }

    Optional<Node> fullestReadyNodeWithRoom(NodePoolSpec pool, ReplicaNeed need) {
      return withRoom(pool, need, true)
          .min(Comparator.<Node>comparingDouble(node -> -loads.get(node.id()).units(pool))
              .thenComparingLong(node -> node.id().serial()));
    }

    Optional<Node> soonestProvisioningNodeWithRoom(NodePoolSpec pool, ReplicaNeed need) {
      return withRoom(pool, need, false)
          .min(Comparator.comparing(Node::readyAt)
              .thenComparingDouble(node -> -loads.get(node.id()).units(pool))
              .thenComparingLong(node -> node.id().serial()));
    }

    private java.util.stream.Stream<Node> withRoom(NodePoolSpec pool, ReplicaNeed need, boolean ready) {
      return nodes.values().stream()
          .filter(node -> node.id().pool().equals(pool.name()))
          .filter(node -> node.isReady(now) == ready)
          .filter(node -> loads.get(node.id()).fits(need, pool));
    }

    void place(AppId app, ReplicaNeed need, Node node) {
      PlacedReplica placed = new PlacedReplica(new ReplicaId(app, app.name() + "-" + nextReplicaSerial++),
          node.id(), need);
      replicas.add(placed);
      reserve(node, need);
      starts.add(placed);
    }

    void reserve(Node node, ReplicaNeed need) {
      loads.computeIfPresent(node.id(), (id, load) -> load.plus(need));
    }

    void releaseIdleNodes() {
      for (NodePoolSpec pool : pools) {
        int count = nodeCount(pool);
        List<Node> idle = new ArrayList<>();
        for (Node node : List.copyOf(nodes.values())) {
          if (!node.id().pool().equals(pool.name()) || !node.isReady(now)) {
            continue;
          }
          Node marked = loads.get(node.id()).isEmpty()
              ? (node.idleSince().isPresent() ? node : node.idle(now))
              : node.busy();
          nodes.put(node.id(), marked);
          if (marked.idleSince().isPresent()) {
            idle.add(marked);
          }
        }
        idle.sort(Comparator.<Node, Instant>comparing(node -> node.idleSince().orElseThrow())
            .thenComparing(Comparator.<Node>comparingLong(node -> node.id().serial()).reversed()));
        for (Node node : idle) {
          if (count <= pool.minNodes()) {
            break;
          }
          if (!node.idleSince().orElseThrow().plus(pool.idleNodeDelay()).isAfter(now)) {
            nodes.remove(node.id());
            loads.remove(node.id());
            releases.add(node);
            count--;
          }
        }
      }
    }

    CapacityModel next(Map<AppId, Instant> waitingSince) {
      return new CapacityModel(pools, List.copyOf(nodes.values()), replicas, waitingSince, nextNodeSerial,
          nextReplicaSerial);
    }
  }
}

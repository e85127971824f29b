package io.sluice.autoscaler.simulate;

import io.sluice.autoscaler.capacity.AppDemand;
import io.sluice.autoscaler.capacity.CapacityModel;
import io.sluice.autoscaler.capacity.Node;
import io.sluice.autoscaler.capacity.NodeId;
import io.sluice.autoscaler.capacity.PlacedReplica;
import io.sluice.autoscaler.capacity.Placement;
import io.sluice.autoscaler.capacity.PlacementPlan;
import io.sluice.autoscaler.capacity.ReplicaNeed;
import io.sluice.autoscaler.decision.DeciderSpec;
import io.sluice.autoscaler.decision.DeciderState;
import io.sluice.autoscaler.decision.Decision;
import io.sluice.autoscaler.decision.ScalingInputs;
import io.sluice.autoscaler.decision.ScalingPolicy;
import io.sluice.autoscaler.metrics.ConcurrencyAccumulator;
import io.sluice.autoscaler.metrics.MetricWindow;
import io.sluice.autoscaler.replica.ReplicaId;
import io.sluice.config.AppId;
import io.sluice.config.AppSpec;
import io.sluice.config.NodePoolSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Replays a {@link Trace} through the same pieces a node runs — per-second buckets of time-weighted concurrency from a
 * {@link ConcurrencyAccumulator}, a {@link MetricWindow}, the {@link ScalingPolicy} on a 2 s tick, and
 * {@link Placement} over a {@link CapacityModel} — and measures what the policy costs and what it makes requests wait.
 *
 * <p>A discrete-event engine on simulated time only: a priority queue of events (requests completing, replicas
 * becoming ready, second boundaries, ticks, pokes), the trace's arrivals merged in order. No clock, no randomness, no
 * I/O: the same trace, setup and policy give the same result, bit for bit.
 *
 * <p>What is modelled, as a node does it:
 *
 * <ul>
 *   <li>Per app: replicas with the app's hard limit ({@code replica_concurrency}); a request goes to the ready replica
 *       with the fewest requests in flight that has a free slot, else waits in the app's FIFO hold queue (unbounded,
 *       no timeouts) and is handed the first slot that frees or the first replica that becomes ready.
 *   <li>A request counts as in flight from its arrival — held or on a replica — until its response ends, as Knative's
 *       activator counts the requests it holds; each second closes a bucket, and the decider's window is fed those
 *       buckets exactly.
 *   <li>The deciders tick every 2 s (all apps, then placement); a request held while its app has no ready replica
 *       pokes its decider at once, as the node does, so waking from zero does not wait for the tick.
 *   <li>Scaling up asks {@link Placement} for replicas; a replica placed on a ready node is ready {@code startup}
 *       later; one that needs a node waits for the pool's provisioning time and is placed on the first tick after the
 *       node is ready.
 *   <li>Scaling down stops replicas still starting first (newest first), then idle ready ones (newest first); a
 *       replica with requests in flight is only drained — taken out of routing and stopped once its last request
 *       ends — so no request is ever cut, as the node does it.
 *   <li>The Sluice policy's start-up estimate is what the node measures: zero until the app's first replica is ready,
 *       then that replica's start-up time.
 * </ul>
 *
 * <p>Not modelled: network and proxy latency, request timeouts and 429/503s, replica failures, and the effect of
 * sharing a replica on a request's service time (the trace's service times are taken as they are).
 */
public final class Simulator {

  private static final long NANOS_PER_SECOND = 1_000_000_000L;

  // Event kinds, in the order events of the same instant are handled: slots free and replicas come up before a second
  // closes and a tick decides; arrivals at that instant come after the tick; pokes last, so that simultaneous arrivals
  // share one.
  private static final int COMPLETE = 0;
  private static final int READY = 1;
  private static final int SECOND = 2;
  private static final int TICK = 3;
  private static final int ARRIVAL = 4;
  private static final int POKE = 5;

  private static final int STARTING = 0;
  private static final int RUNNING = 1;
  private static final int DRAINING = 2;
  private static final int STOPPED = 3;

  private final Trace trace;
  private final SimulationSetup setup;
  private final SimulatedPolicy policy;
  private final Instant start;
  private final long startEpochSecond;
  private final long startupNanos;
  private final long tickNanos;
  private final long tailNanos;
  private final long timelineStepNanos;
  private final AppRun[] apps;
  private final Map<AppId, AppRun> appsById = new HashMap<>();
  private final Map<String, NodePoolSpec> poolsByName = new HashMap<>();
  private final PriorityQueue<Event> events = new PriorityQueue<>();
  private final Map<NodeId, Long> nodeSince = new HashMap<>();
  private final long[] waitNanos;
  private final Timeline.Builder timeline;
  private CapacityModel model;
  private long now;
  private long sequence;
  private int nextArrival;
  private int completed;
  private int served;
  private long lastProgress;
  private long nodeUnitNanos;
  private int peakReplicas;
  private int liveReplicas;
  private int maxInFlightPerReplica;

  private Simulator(Trace trace, SimulationSetup setup, SimulatedPolicy policy) {
    this.trace = Objects.requireNonNull(trace, "trace");
    this.setup = Objects.requireNonNull(setup, "setup");
    this.policy = Objects.requireNonNull(policy, "policy");
    this.start = trace.start();
    this.startEpochSecond = start.getEpochSecond();
    this.startupNanos = setup.startup().toNanos();
    this.tickNanos = setup.tick().toNanos();
    this.tailNanos = setup.tail().toNanos();
    this.timelineStepNanos = setup.timelineStep().toNanos();
    this.model = CapacityModel.empty(setup.pools());
    setup.pools().forEach(pool -> poolsByName.put(pool.name(), pool));
    List<AppSpec> specs = appSpecs(trace, setup.app());
    this.apps = new AppRun[specs.size()];
    for (int i = 0; i < apps.length; i++) {
      AppSpec spec = specs.get(i);
      ReplicaNeed need = ReplicaNeed.of(spec.hardware());
      if (model.poolFor(need).isEmpty()) {
        throw new IllegalArgumentException("pools: none for " + need + " (expected: a pool for the app's hardware, "
            + (need.gpu().isPresent() ? "gpu = \"" + need.gpu().get() + "\"" : "a CPU pool") + ")");
      }
      apps[i] = new AppRun(i, spec);
      appsById.put(spec.id(), apps[i]);
    }
    this.waitNanos = new long[trace.size()];
    Arrays.fill(waitNanos, -1);
    this.timeline = new Timeline.Builder(specs.stream().map(spec -> spec.id().name()).toList());
  }

  /** Replays {@code trace} under {@code policy}. */
  public static SimulationResult run(Trace trace, SimulationSetup setup, SimulatedPolicy policy) {
    return new Simulator(trace, setup, policy).run();
  }

  /**
   * The app each trace app is deployed as: {@code template} itself for a single-app trace, else a copy per trace app
   * named after it (a DNS label: lowercased, cut short, made unique).
   */
  static List<AppSpec> appSpecs(Trace trace, AppSpec template) {
    List<String> labels = trace.appLabels();
    if (labels.size() == 1) {
      return List.of(template);
    }
    List<AppSpec> specs = new ArrayList<>();
    Set<String> used = new HashSet<>();
    for (int i = 0; i < labels.size(); i++) {
      String name = AppId.nameFrom(labels.get(i)).orElse("app");
      if (name.length() > 40) {
        name = AppId.nameFrom(name.substring(0, 40)).orElse("app");
      }
      String unique = name;
      for (int n = 2; !used.add(unique); n++) {
        unique = name + "-" + n;
      }
      specs.add(template.withId(new AppId(template.id().project(), unique)));
    }
    return specs;
  }

  private SimulationResult run() {
    schedule(0, TICK, null, null);
    schedule(NANOS_PER_SECOND, SECOND, null, null);
    long[] arrivals = trace.arrivals();
    int n = arrivals.length;
    while (true) {
      Event head = events.peek();
      if (nextArrival < n && (head == null || arrivals[nextArrival] < head.time
          || (arrivals[nextArrival] == head.time && ARRIVAL < head.kind))) {
        now = arrivals[nextArrival];
        arrive(nextArrival++);
        continue;
      }
      if (head == null) {
        break;
      }
      events.poll();
      now = head.time;
      switch (head.kind) {
        case COMPLETE -> complete(head.app, head.replica);
        case READY -> ready(head.app, head.replica);
        case SECOND -> closeSecond();
        case TICK -> {
          for (AppRun app : apps) {
            decide(app);
          }
          place();
          if (now % timelineStepNanos == 0) {
            record();
          }
          if (nextArrival == n && (settled() || now - lastProgress >= tailNanos)) {
            return finish();
          }
          schedule(now + tickNanos, TICK, null, null);
        }
        case POKE -> {
          head.app.pokePending = false;
          decide(head.app);
          place();
        }
        default -> throw new IllegalStateException("event kind " + head.kind);
      }
    }
    return finish();
  }

  // --- requests ---

  private void arrive(int request) {
    AppRun app = apps[trace.apps()[request]];
    app.meter.change(now, +1);
    app.meter.request(now);
    lastProgress = now;
    if (app.held.isEmpty()) {
      Replica replica = app.pick();
      if (replica != null) {
        begin(app, replica, request);
        return;
      }
    }
    app.held.add(request);
    if (app.running == 0 && !app.pokePending) {
      app.pokePending = true;
      schedule(now, POKE, app, null);
    }
  }

  private void begin(AppRun app, Replica replica, int request) {
    replica.inFlight++;
    app.inFlight++;
    maxInFlightPerReplica = Math.max(maxInFlightPerReplica, replica.inFlight);
    long arrival = trace.arrivals()[request];
    long wait = now - arrival;
    waitNanos[request] = wait;
    served++;
    if (wait > 0) {
      app.waited++;
      if (replica.readyAt > arrival) {
        app.coldStartWaits++;
      }
    }
    schedule(now + trace.services()[request], COMPLETE, app, replica);
  }

  private void complete(AppRun app, Replica replica) {
    replica.inFlight--;
    app.inFlight--;
    app.meter.change(now, -1);
    completed++;
    lastProgress = now;
    if (replica.state == DRAINING && replica.inFlight == 0) {
      stop(app, replica);
    } else if (replica.state == RUNNING) {
      dispatch(app);
    }
  }

  /** Hands free slots to held requests, oldest first. */
  private void dispatch(AppRun app) {
    while (!app.held.isEmpty()) {
      Replica replica = app.pick();
      if (replica == null) {
        return;
      }
      begin(app, replica, app.held.poll());
    }
  }

  // --- metrics and decisions ---

  private void closeSecond() {
    long second = now / NANOS_PER_SECOND;
    for (AppRun app : apps) {
      app.window.add(app.meter.close(startEpochSecond + second - 1, now));
    }
    schedule(now + NANOS_PER_SECOND, SECOND, null, null);
  }

  private void decide(AppRun app) {
    Instant at = instant(now);
    ScalingInputs inputs = ScalingInputs.measure(app.window, app.deciderSpec, at, app.running,
        app.starting + app.waitingForNodes, app.held.size());
    Decision decision = app.policy.decide(app.state, inputs, at);
    app.state = decision.next();
    if (decision.result().valid()) {
      app.desired = decision.result().desiredReplicas();
    }
    scaleDown(app);
  }

  /** Down to the desired count: starting replicas first, then idle ones, then drain the least busy; newest first. */
  private void scaleDown(AppRun app) {
    int excess = app.starting + app.running - app.desired;
    for (int i = app.replicas.size() - 1; i >= 0 && excess > 0; i--) {
      Replica replica = app.replicas.get(i);
      if (replica.state == STARTING) {
        stop(app, replica);
        excess--;
      }
    }
    for (int i = app.replicas.size() - 1; i >= 0 && excess > 0; i--) {
      Replica replica = app.replicas.get(i);
      if (replica.state == RUNNING && replica.inFlight == 0) {
        stop(app, replica);
        excess--;
      }
    }
    while (excess > 0) {
      Replica least = null;
      for (int i = app.replicas.size() - 1; i >= 0; i--) {
        Replica replica = app.replicas.get(i);
        if (replica.state == RUNNING && (least == null || replica.inFlight < least.inFlight)) {
          least = replica;
        }
      }
      if (least == null) {
        return;
      }
      least.state = DRAINING;
      app.running--;
      app.draining++;
      excess--;
    }
  }

  // --- capacity ---

  private void place() {
    if (!placementNeeded()) {
      return;
    }
    Instant at = instant(now);
    List<AppDemand> demands = new ArrayList<>(apps.length);
    for (AppRun app : apps) {
      // Draining replicas still hold their capacity: ask for them too, so that placement stops none of its own.
      int wanted = Math.max(app.spec.scaling().minReplicas(), app.desired + app.draining);
      demands.add(AppDemand.of(app.spec, wanted, start));
    }
    PlacementPlan plan = Placement.decide(model, demands, at);
    model = plan.next();
    for (Node node : plan.provisions()) {
      nodeSince.put(node.id(), now);
    }
    for (Node node : plan.releases()) {
      Long since = nodeSince.remove(node.id());
      if (since != null) {
        nodeUnitNanos += (now - since) * nodeUnits(node.id());
      }
    }
    for (PlacedReplica stopped : plan.stops()) {
      AppRun app = appsById.get(stopped.replica().app());
      Replica replica = app == null ? null : app.byId.get(stopped.replica());
      if (replica != null && replica.state != STOPPED) {
        if (replica.inFlight == 0) {
          stop(app, replica);
        } else if (replica.state == RUNNING) {
          replica.state = DRAINING;
          app.running--;
          app.draining++;
        }
      }
    }
    for (PlacedReplica started : plan.starts()) {
      AppRun app = appsById.get(started.replica().app());
      Replica replica = new Replica(started.replica(), now, now + startupNanos);
      app.replicas.add(replica);
      app.byId.put(replica.id, replica);
      app.starting++;
      app.starts++;
      liveReplicas++;
      schedule(replica.readyAt, READY, app, replica);
    }
    peakReplicas = Math.max(peakReplicas, liveReplicas);
    for (AppRun app : apps) {
      app.waitingForNodes = plan.pendingCount(app.spec.id());
    }
  }

  /**
   * Whether placement has anything to do: an app wants a different count than it has placed, a node is provisioning,
   * or a node is empty (idle nodes are marked and released on placement ticks). Skipping the others keeps a day's
   * replay fast; the outcome is the same.
   */
  private boolean placementNeeded() {
    for (AppRun app : apps) {
      int wanted = Math.max(app.spec.scaling().minReplicas(), app.desired + app.draining);
      if (wanted != app.placed() || app.waitingForNodes > 0) {
        return true;
      }
    }
    if (model.nodes().isEmpty()) {
      return setup.pools().stream().anyMatch(pool -> pool.minNodes() > 0);
    }
    Set<NodeId> occupied = new HashSet<>();
    for (PlacedReplica replica : model.replicas()) {
      occupied.add(replica.node());
    }
    Instant at = instant(now);
    for (Node node : model.nodes()) {
      if (!node.isReady(at) || !occupied.contains(node.id())) {
        return true;
      }
    }
    return false;
  }

  private long nodeUnits(NodeId node) {
    NodePoolSpec pool = poolsByName.get(node.pool());
    return pool == null || pool.isCpuPool() ? 1 : pool.gpusPerNode();
  }

  // --- replicas ---

  private void ready(AppRun app, Replica replica) {
    if (replica.state != STARTING) {
      return;
    }
    replica.state = RUNNING;
    app.starting--;
    app.running++;
    if (!app.startupMeasured) {
      app.startupMeasured = true;
      app.useStartupEstimate(Duration.ofNanos(replica.readyAt - replica.placedAt));
    }
    dispatch(app);
  }

  private void stop(AppRun app, Replica replica) {
    switch (replica.state) {
      case STARTING -> app.starting--;
      case RUNNING -> app.running--;
      case DRAINING -> app.draining--;
      default -> {
        return;
      }
    }
    replica.state = STOPPED;
    app.replicas.remove(replica);
    app.byId.remove(replica.id);
    liveReplicas--;
    model = model.withoutReplica(replica.id);
    app.unitNanos += (now - replica.placedAt) * app.units;
  }

  // --- the end ---

  /**
   * Whether the run can end here: every request served, every app back at its policy's floor with nothing starting,
   * draining or waiting for a node, and no node provisioning or idle above its pool's minimum.
   */
  private boolean settled() {
    if (completed < trace.size()) {
      return false;
    }
    for (AppRun app : apps) {
      if (app.starting > 0 || app.draining > 0 || app.waitingForNodes > 0 || !app.held.isEmpty()
          || app.running != policy.floor(app.spec.scaling())) {
        return false;
      }
    }
    Set<NodeId> occupied = new HashSet<>();
    for (PlacedReplica replica : model.replicas()) {
      occupied.add(replica.node());
    }
    Map<String, Integer> nodesPerPool = new HashMap<>();
    for (Node node : model.nodes()) {
      nodesPerPool.merge(node.id().pool(), 1, Integer::sum);
    }
    Instant at = instant(now);
    for (Node node : model.nodes()) {
      if (!node.isReady(at)) {
        return false;
      }
      NodePoolSpec pool = poolsByName.get(node.id().pool());
      if (!occupied.contains(node.id()) && nodesPerPool.get(node.id().pool()) > pool.minNodes()) {
        return false;
      }
    }
    return true;
  }

  private SimulationResult finish() {
    int waited = 0;
    int cold = 0;
    double unitNanos = 0;
    boolean gpuUnits = true;
    for (AppRun app : apps) {
      for (Replica replica : app.replicas) {
        app.unitNanos += (now - replica.placedAt) * app.units;
      }
      waited += app.waited;
      cold += app.coldStartWaits;
      unitNanos += app.unitNanos;
      gpuUnits &= app.spec.hardware().gpu().isPresent();
    }
    for (Map.Entry<NodeId, Long> node : nodeSince.entrySet()) {
      nodeUnitNanos += (now - node.getValue()) * nodeUnits(node.getKey());
    }
    long[] waits = new long[waitNanos.length];
    long[] arrivals = trace.arrivals();
    double sum = 0;
    for (int i = 0; i < waits.length; i++) {
      // A request never served has waited at least until the end of the run.
      waits[i] = waitNanos[i] >= 0 ? waitNanos[i] : Math.max(0, now - arrivals[i]);
      sum += waits[i];
      if (waitNanos[i] < 0 && i < nextArrival) {
        waited++;
      }
    }
    Arrays.sort(waits);
    return new SimulationResult(policy, trace.size(), served, waited, cold, percentile(waits, 0.50),
        percentile(waits, 0.99), waits.length == 0 ? 0 : waits[waits.length - 1] / 1e9,
        waits.length == 0 ? 0 : sum / waits.length / 1e9, unitNanos / 1e9, gpuUnits, nodeUnitNanos / 1e9, peakReplicas,
        Arrays.stream(apps).mapToInt(app -> app.starts).sum(), maxInFlightPerReplica, now / 1e9, timeline.build());
  }

  /** Nearest-rank percentile of sorted nanoseconds, in seconds. */
  static double percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int rank = (int) Math.ceil(p * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))] / 1e9;
  }

  private void record() {
    for (AppRun app : apps) {
      timeline.add(now, app.index, app.desired, app.running, app.starting + app.waitingForNodes, app.held.size(),
          app.inFlight);
    }
  }

  private Instant instant(long nanos) {
    return start.plusNanos(nanos);
  }

  private void schedule(long time, int kind, AppRun app, Replica replica) {
    events.add(new Event(time, kind, sequence++, app, replica));
  }

  /** Something that happens at a simulated instant; ties by kind, then by when it was scheduled. */
  private static final class Event implements Comparable<Event> {
    final long time;
    final int kind;
    final long sequence;
    final AppRun app;
    final Replica replica;

    Event(long time, int kind, long sequence, AppRun app, Replica replica) {
      this.time = time;
      this.kind = kind;
      this.sequence = sequence;
      this.app = app;
      this.replica = replica;
    }

    @Override
    public int compareTo(Event other) {
      if (time != other.time) {
        return Long.compare(time, other.time);
      }
      if (kind != other.kind) {
        return Integer.compare(kind, other.kind);
      }
      return Long.compare(sequence, other.sequence);
    }
  }

  /** One replica of one app. */
  private static final class Replica {
    final ReplicaId id;
    final long placedAt;
    final long readyAt;
    int state = STARTING;
    int inFlight;

    Replica(ReplicaId id, long placedAt, long readyAt) {
      this.id = id;
      this.placedAt = placedAt;
      this.readyAt = readyAt;
    }
  }

  /** One app's decider, metrics, replicas and hold queue in this run. */
  private final class AppRun {
    final int index;
    final AppSpec spec;
    final int hardLimit;
    final long units;
    final MetricWindow window;
    final ConcurrencyAccumulator meter = new ConcurrencyAccumulator(0);
    final List<Replica> replicas = new ArrayList<>();
    final Map<ReplicaId, Replica> byId = new HashMap<>();
    final IntQueue held = new IntQueue();
    DeciderSpec deciderSpec;
    ScalingPolicy policy;
    DeciderState state = DeciderState.initial();
    boolean startupMeasured;
    boolean pokePending;
    int desired;
    int starting;
    int running;
    int draining;
    int waitingForNodes;
    int inFlight;
    int waited;
    int coldStartWaits;
    int starts;
    long unitNanos;

    AppRun(int index, AppSpec spec) {
      this.index = index;
      this.spec = spec;
      this.hardLimit = spec.scaling().replicaConcurrency();
      this.units = spec.hardware().gpu().isPresent() ? spec.hardware().gpuCount() : 1;
      // As on a node: the start-up estimate is zero until a replica of the app has been seen to start.
      useStartupEstimate(Duration.ZERO);
      this.window = new MetricWindow(deciderSpec.stableWindow());
    }

    void useStartupEstimate(Duration startup) {
      deciderSpec = DeciderSpec.from(spec.scaling(), startup);
      policy = Simulator.this.policy.policyFor(deciderSpec, spec.scaling());
    }

    int placed() {
      return starting + running + draining;
    }

    /** The ready replica with the fewest requests in flight and a free slot (the oldest on a tie), or null. */
    Replica pick() {
      Replica best = null;
      for (int i = 0, size = replicas.size(); i < size; i++) {
        Replica replica = replicas.get(i);
        if (replica.state == RUNNING && replica.inFlight < hardLimit
            && (best == null || replica.inFlight < best.inFlight)) {
          best = replica;
        }
      }
      return best;
    }
  }

  /** A FIFO of request indices without boxing. */
  static final class IntQueue {
    private int[] items = new int[64];
    private int head;
    private int size;

    void add(int value) {
      if (size == items.length) {
        int[] grown = new int[items.length * 2];
        for (int i = 0; i < size; i++) {
          grown[i] = items[(head + i) % items.length];
        }
        items = grown;
        head = 0;
      }
      items[(head + size) % items.length] = value;
      size++;
    }

    int poll() {
      if (size == 0) {
        throw new IllegalStateException("empty");
      }
      int value = items[head];
      head = (head + 1) % items.length;
      size--;
      return value;
    }

    boolean isEmpty() {
      return size == 0;
    }

    int size() {
      return size;
    }
  }
}

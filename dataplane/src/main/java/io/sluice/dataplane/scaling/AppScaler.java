package io.sluice.dataplane.scaling;

import io.sluice.autoscaler.decision.DeciderSpec;
import io.sluice.autoscaler.decision.DeciderState;
import io.sluice.autoscaler.decision.Decision;
import io.sluice.autoscaler.decision.ScaleDecision;
import io.sluice.autoscaler.decision.ScalingInputs;
import io.sluice.autoscaler.decision.ScalingPolicy;
import io.sluice.autoscaler.replica.ReplicaId;
import io.sluice.autoscaler.replica.ReplicaState;
import io.sluice.autoscaler.replica.ReplicaStatus;
import io.sluice.config.ScalingMetric;
import io.sluice.cluster.decisions.FleetDecisions;
import io.sluice.cluster.decisions.FleetDecisions.AppDecision;
import io.sluice.cluster.load.FleetLoad;
import io.sluice.cluster.load.FleetLoad.NodeLoad;
import io.sluice.cluster.registry.FleetReplicaRegistry;
import io.sluice.dataplane.apps.AppState;
import io.sluice.dataplane.apps.DeployedApp;
import io.sluice.dataplane.routing.RoutedReplica;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.BiFunction;

/**
 * One app's decider: each tick it merges the buckets every node of the fleet published for the app into one metric
 * window, counts the fleet's replicas and held requests, and asks the policy (a pure function) for the replica count.
 * Scaling down is its own business: it orders replicas to stop (their nodes drain them first). Scaling up goes through
 * the {@link ScalingLoop}'s placement, which knows whether the GPUs exist. Every node holds one per app, but only the
 * app's decider in the fleet decides; each decision, with the policy's state, goes to {@link FleetDecisions}, from
 * which the next decider resumes. Runs on the scaling loop's context only.
 */
final class AppScaler {

  private static final int HISTORY = 100;

  private final DeployedApp app;
  private final String policyName;
  private final BiFunction<DeployedApp, Duration, DeciderSpec> specs;
  private final FleetLoad load;
  private final FleetReplicaRegistry registry;
  private final FleetDecisions decisions;
  private final ArrayDeque<JsonObject> history = new ArrayDeque<>();
  private DeciderSpec spec;
  private ScalingPolicy policy;
  private Duration startupUsed;
  private DeciderState state = DeciderState.initial();
  private boolean deciding;
  private AppDecision published;
  private volatile JsonObject snapshot = new JsonObject();

  AppScaler(DeployedApp app, FleetLoad load, FleetReplicaRegistry registry, FleetDecisions decisions,
      String policyName, BiFunction<DeployedApp, Duration, DeciderSpec> specs) {
    this.app = app;
    this.load = load;
    this.registry = registry;
    this.decisions = decisions;
    this.policyName = policyName;
    this.specs = specs;
  }

  DeployedApp app() {
    return app;
  }

  boolean deciding() {
    return deciding;
  }

  /**
   * This node has become the app's decider (it has just been deployed, or its decider left the fleet): it resumes
   * from the last decision's state when there is one, and otherwise, if the app has replicas already, as Knative's
   * autoscaler does after a restart ({@link DeciderState#resumed}), so that it scales down nothing on the little data a
   * fresh window has.
   */
  void takeOver(Instant now) {
    deciding = true;
    Optional<AppDecision> last = decisions.of(app.spec().id());
    if (last.isPresent()) {
      state = last.get().state();
    } else {
      long ready = app.liveReplicas().stream().filter(r -> r.state() == ReplicaState.READY).count();
      state = ready > 0 ? DeciderState.resumed((int) ready, now) : DeciderState.initial();
    }
  }

  /** Another node decides for the app now. */
  void handOver() {
    deciding = false;
    published = null;
  }

  /**
   * Decides the app's replica count and starts the scale-down it implies.
   *
   * @param waitingForCapacity replicas wanted earlier that placement could not start yet (no free GPU)
   * @param capacityNote why they wait, for the admin API, or null
   * @param stopped called on this context with each replica a scale-down has stopped, to free its capacity
   * @return how many replicas the app should have, those waiting for capacity included
   */
  int decide(Instant now, int waitingForCapacity, String capacityNote) {
    refreshPolicy();
    List<NodeLoad> loads = load.of(app.spec().id());
    int held = app.route().heldCount();
    for (NodeLoad nodeLoad : loads) {
      if (!nodeLoad.node().equals(load.self())) {
        held += nodeLoad.held();
      }
    }
    List<ReplicaStatus> live = app.liveReplicas();
    int ready = (int) live.stream().filter(r -> r.state() == ReplicaState.READY).count();
    LoadAverages seen = LoadAverages.of(loads, spec.stableWindow(), spec.panicWindow(), now);
    OptionalDouble stableConcurrency = seen.stableConcurrency();
    OptionalDouble panicConcurrency = seen.panicConcurrency();
    OptionalDouble stableRate = seen.stableRate();
    OptionalDouble panicRate = seen.panicRate();
    boolean byRate = spec.metric() == ScalingMetric.REQUESTS_PER_SECOND;
    ScalingInputs inputs = new ScalingInputs(ready, live.size() - ready + waitingForCapacity,
        byRate ? stableRate : stableConcurrency, byRate ? panicRate : panicConcurrency, held);
    Decision decision = policy.decide(state, inputs, now);
    state = decision.next();
    ScaleDecision result = decision.result();
    int desired = result.valid() ? result.desiredReplicas() : live.size() + waitingForCapacity;
    if (app.state() == AppState.FAILED) {
      desired = Math.min(desired, live.size());
    }
    java.util.Set<String> stopping = new java.util.TreeSet<>(app.drainingNames());
    // An observe-only app's pods are scaled by something else: its decision is shown, never carried out.
    if (desired < live.size() && !app.spec().container().observeOnly()) {
      stopping.addAll(scaleDown(live, live.size() - desired));
    }
    JsonObject summary = record(now, inputs, result, seen, capacityNote);
    publish(new AppDecision(app.spec().id(), decisions.self(), now.toEpochMilli(), desired, stopping,
        result.panicking(), state, summary));
    return desired;
  }

  /** The decider's spec follows the app's measured start-up time, which the Sluice policy plans ahead by. */
  private void refreshPolicy() {
    Duration startup = app.lastStartup().orElse(Duration.ZERO);
    if (policy == null || !startup.equals(startupUsed)) {
      startupUsed = startup;
      spec = specs.apply(app, startup);
      policy = policyName.equals("knative") ? ScalingPolicy.knative(spec) : ScalingPolicy.sluice(spec);
    }
  }

  /**
   * Not-ready replicas go first (newest first), then the ready ones with the fewest requests in flight here. Each is
   * ordered to stop: every node takes it out of routing at once, and its node stops it once its requests are done.
   * Returns their names.
   */
  private List<String> scaleDown(List<ReplicaStatus> live, int count) {
    List<ReplicaStatus> victims = live.stream()
        .sorted(Comparator.comparing((ReplicaStatus r) -> r.state() == ReplicaState.READY)
            .thenComparing(r -> inFlight(r.id()))
            .thenComparing(ReplicaStatus::since, Comparator.reverseOrder()))
        .limit(count)
        .toList();
    victims.forEach(victim -> registry.orderStop(victim.id()));
    return victims.stream().map(victim -> victim.id().name()).toList();
  }

  private int inFlight(ReplicaId id) {
    return app.routed(id).map(RoutedReplica::inFlight).orElse(0);
  }

  /**
   * Shares the decision with the fleet: every time while the app has replicas or load, so that a decider taking over
   * has the latest state; when it is idle at zero, only on a change, and now and then so that it does not expire.
   */
  private void publish(AppDecision decision) {
    boolean idle = decision.desired() == 0 && app.liveReplicas().isEmpty() && app.route().inFlight() == 0
        && app.route().heldCount() == 0;
    if (!idle || published == null || published.desired() != 0 || published.panicking()
        || decision.at() - published.at() > FleetDecisions.TTL_SECONDS * 1000L / 4) {
      decisions.publish(decision);
      published = decision;
    }
  }

  private JsonObject record(Instant now, ScalingInputs inputs, ScaleDecision result, LoadAverages seen,
      String capacityNote) {
    JsonObject entry = new JsonObject()
        .put("at", now.toString())
        .put("desired", result.desiredReplicas())
        .put("ready", inputs.readyReplicas())
        .put("pending", inputs.pendingReplicas())
        .put("queue_depth", inputs.queueDepth())
        .put("panicking", result.panicking())
        .put("valid", result.valid())
        .put("reason", result.reason())
        .put("capacity", capacityNote);
    JsonObject previous = history.peekLast();
    if (previous == null || changed(previous, entry)) {
      history.addLast(entry);
      if (history.size() > HISTORY) {
        history.removeFirst();
      }
    }
    JsonObject summary = new JsonObject()
        .put("policy", policy.name())
        .put("metric", spec.metric().configName())
        .put("target_per_replica", spec.targetPerReplica())
        .put("hard_limit", spec.hardLimit())
        .put("stable_window_seconds", spec.stableWindow().toSeconds())
        .put("panic_window_seconds", spec.panicWindow().toMillis() / 1000.0)
        .put("observed", seen.json())
        .put("desired", result.desiredReplicas())
        .put("ready", inputs.readyReplicas())
        .put("pending", inputs.pendingReplicas())
        .put("queue_depth", inputs.queueDepth())
        .put("in_flight", app.route().inFlight())
        .put("panicking", result.panicking())
        .put("excess_burst_capacity", result.excessBurstCapacity())
        .put("replica_startup_seconds", startupUsed.toMillis() / 1000.0)
        .put("waiting_for_capacity", capacityNote);
    snapshot = summary.copy().put("decisions", new JsonArray(List.copyOf(history)));
    return summary;
  }

  private static boolean changed(JsonObject previous, JsonObject next) {
    for (String key : List.of("desired", "ready", "pending", "panicking", "reason", "capacity")) {
      if (!java.util.Objects.equals(previous.getValue(key), next.getValue(key))) {
        return true;
      }
    }
    return false;
  }

  /** The latest state for the admin API; safe to read from any thread. */
  JsonObject snapshot() {
    return snapshot.copy();
  }
}

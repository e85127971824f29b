package io.sluice.dataplane.scaling;

import io.sluice.autoscaler.decision.DeciderSpec;
import io.sluice.autoscaler.decision.DeciderState;
import io.sluice.autoscaler.decision.Decision;
import io.sluice.autoscaler.decision.ScaleDecision;
import io.sluice.autoscaler.decision.ScalingInputs;
import io.sluice.autoscaler.decision.ScalingPolicy;
import io.sluice.autoscaler.metrics.MetricWindow;
import io.sluice.autoscaler.replica.ReplicaId;
import io.sluice.autoscaler.replica.ReplicaState;
import io.sluice.autoscaler.replica.ReplicaStatus;
import io.sluice.config.ScalingMetric;
import io.sluice.dataplane.apps.AppDeployer;
import io.sluice.dataplane.apps.AppState;
import io.sluice.dataplane.apps.DeployedApp;
import io.sluice.dataplane.routing.RoutedReplica;
import io.vertx.core.Vertx;
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
 * One app's autoscaler on this node: each tick it folds the event loops' closed buckets into the app's metric window
 * and asks the policy (a pure function) for the replica count. Scaling down is its own business: it drains and then
 * stops replicas. Scaling up goes through the {@link ScalingLoop}'s placement, which knows whether the GPUs exist.
 * Runs on the scaling loop's context only.
 *
 * <p>A scale-down takes a replica out of routing first, waits until its in-flight requests have finished (up to the
 * app's {@code response_grace_period}), and only then stops it, so no request is cut by a scale-down.
 */
final class AppScaler {

  private static final int HISTORY = 100;

  private final DeployedApp app;
  private final AppDeployer deployer;
  private final Vertx vertx;
  private final String policyName;
  private final BiFunction<DeployedApp, Duration, DeciderSpec> specs;
  private MetricWindow window;
  private final ArrayDeque<JsonObject> history = new ArrayDeque<>();
  private DeciderSpec spec;
  private ScalingPolicy policy;
  private Duration startupUsed;
  private DeciderState state = DeciderState.initial();
  private volatile JsonObject snapshot = new JsonObject();

  AppScaler(DeployedApp app, AppDeployer deployer, Vertx vertx, String policyName,
      BiFunction<DeployedApp, Duration, DeciderSpec> specs) {
    this.app = app;
    this.deployer = deployer;
    this.vertx = vertx;
    this.policyName = policyName;
    this.specs = specs;
  }

  DeployedApp app() {
    return app;
  }

  /**
   * Decides the app's replica count and starts the scale-down it implies.
   *
   * @param waitingForCapacity replicas wanted earlier that placement could not start yet (no free GPU)
   * @param capacityNote why they wait, for the admin API, or null
   * @param stopped called on this context with each replica a scale-down has stopped, to free its capacity
   * @return how many replicas the app should have, those waiting for capacity included
   */
  int decide(Instant now, int waitingForCapacity, String capacityNote, java.util.function.Consumer<ReplicaId> stopped) {
    refreshPolicy();
    app.route().drainBuckets(window::add);
    List<ReplicaStatus> live = app.liveReplicas();
    int ready = (int) live.stream().filter(r -> r.state() == ReplicaState.READY).count();
    Duration stableWindow = spec.stableWindow();
    Duration panicWindow = spec.panicWindow();
    OptionalDouble stableConcurrency = window.averageConcurrency(now, stableWindow);
    OptionalDouble panicConcurrency = window.averageConcurrency(now, panicWindow);
    OptionalDouble stableRate = window.averageRate(now, stableWindow);
    OptionalDouble panicRate = window.averageRate(now, panicWindow);
    boolean byRate = spec.metric() == ScalingMetric.REQUESTS_PER_SECOND;
    ScalingInputs inputs = new ScalingInputs(ready, live.size() - ready + waitingForCapacity,
        byRate ? stableRate : stableConcurrency, byRate ? panicRate : panicConcurrency, app.route().heldCount());
    Decision decision = policy.decide(state, inputs, now);
    state = decision.next();
    ScaleDecision result = decision.result();
    int desired = result.valid() ? result.desiredReplicas() : live.size() + waitingForCapacity;
    if (app.state() == AppState.FAILED) {
      desired = Math.min(desired, live.size());
    }
    if (desired < live.size()) {
      scaleDown(live, live.size() - desired, stopped);
    }
    record(now, inputs, result, stableConcurrency, panicConcurrency, stableRate, panicRate, capacityNote);
    return desired;
  }

  /** The decider's spec follows the app's measured start-up time, which the Sluice policy plans ahead by. */
  private void refreshPolicy() {
    Duration startup = app.lastStartup().orElse(Duration.ZERO);
    if (policy == null || !startup.equals(startupUsed)) {
      startupUsed = startup;
      spec = specs.apply(app, startup);
      if (window == null) {
        window = new MetricWindow(spec.stableWindow());
      }
      policy = policyName.equals("knative") ? ScalingPolicy.knative(spec) : ScalingPolicy.sluice(spec);
    }
  }

  /** Not-ready replicas go first (newest first), then the ready ones with the fewest requests in flight. */
  private void scaleDown(List<ReplicaStatus> live, int count, java.util.function.Consumer<ReplicaId> stopped) {
    live.stream()
        .sorted(Comparator.comparing((ReplicaStatus r) -> r.state() == ReplicaState.READY)
            .thenComparing(r -> inFlight(r.id()))
            .thenComparing(ReplicaStatus::since, Comparator.reverseOrder()))
        .limit(count)
        .forEach(victim -> drainThenStop(victim.id(), stopped));
  }

  private int inFlight(ReplicaId id) {
    for (RoutedReplica routed : app.route().readyReplicas()) {
      if (routed.id().equals(id)) {
        return routed.inFlight();
      }
    }
    return 0;
  }

  private void drainThenStop(ReplicaId id, java.util.function.Consumer<ReplicaId> stopped) {
    Optional<RoutedReplica> routed = app.beginDrain(id);
    long deadline = System.nanoTime() + app.spec().scaling().responseGracePeriod().toNanos();
    var context = vertx.getOrCreateContext();
    awaitIdle(routed, deadline, () -> deployer.stopReplica(id)
        .onComplete(done -> context.runOnContext(v -> stopped.accept(id))));
  }

  private void awaitIdle(Optional<RoutedReplica> routed, long deadlineNanos, Runnable then) {
    if (routed.isEmpty() || routed.get().inFlight() == 0 || System.nanoTime() > deadlineNanos) {
      then.run();
    } else {
      vertx.setTimer(20, t -> awaitIdle(routed, deadlineNanos, then));
    }
  }

  private void record(Instant now, ScalingInputs inputs, ScaleDecision result, OptionalDouble stableConcurrency,
      OptionalDouble panicConcurrency, OptionalDouble stableRate, OptionalDouble panicRate, String capacityNote) {
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
    snapshot = new JsonObject()
        .put("policy", policy.name())
        .put("metric", spec.metric().configName())
        .put("target_per_replica", spec.targetPerReplica())
        .put("hard_limit", spec.hardLimit())
        .put("stable_window_seconds", spec.stableWindow().toSeconds())
        .put("observed", new JsonObject()
            .put("concurrency", new JsonObject().put("stable", orNull(stableConcurrency))
                .put("panic", orNull(panicConcurrency)))
            .put("requests_per_second", new JsonObject().put("stable", orNull(stableRate))
                .put("panic", orNull(panicRate))))
        .put("desired", result.desiredReplicas())
        .put("ready", inputs.readyReplicas())
        .put("pending", inputs.pendingReplicas())
        .put("queue_depth", inputs.queueDepth())
        .put("in_flight", app.route().inFlight())
        .put("panicking", result.panicking())
        .put("excess_burst_capacity", result.excessBurstCapacity())
        .put("replica_startup_seconds", startupUsed.toMillis() / 1000.0)
        .put("waiting_for_capacity", capacityNote)
        .put("decisions", new JsonArray(List.copyOf(history)));
  }

  private static boolean changed(JsonObject previous, JsonObject next) {
    for (String key : List.of("desired", "ready", "pending", "panicking", "reason", "capacity")) {
      if (!java.util.Objects.equals(previous.getValue(key), next.getValue(key))) {
        return true;
      }
    }
    return false;
  }

  private static Double orNull(OptionalDouble value) {
    return value.isPresent() ? value.getAsDouble() : null;
  }

  /** The latest state for the admin API; safe to read from any thread. */
  JsonObject snapshot() {
    return snapshot.copy();
  }
}

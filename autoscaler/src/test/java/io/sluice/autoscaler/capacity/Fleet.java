package io.sluice.autoscaler.capacity;

import io.sluice.config.AppId;
import io.sluice.config.GpuType;
import io.sluice.config.NodePoolSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Test double for the runner: keeps the latest {@link CapacityModel}, and on each {@link #tick} hands it to
 * {@link Placement#decide} at an injected time, as a real runner would on its timer.
 */
final class Fleet {

  static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");

  private CapacityModel model;
  private Instant now = T0;
  private final List<PlacementPlan> plans = new ArrayList<>();

  Fleet(NodePoolSpec... pools) {
    this.model = CapacityModel.empty(List.of(pools));
  }

  /** Advances the clock by {@code elapsed} and decides. */
  PlacementPlan tickAfter(Duration elapsed, AppDemand... demands) {
    now = now.plus(elapsed);
    return tick(demands);
  }

  PlacementPlan tick(AppDemand... demands) {
    PlacementPlan plan = Placement.decide(model, List.of(demands), now);
    model = plan.next();
    plans.add(plan);
    return plan;
  }

  /** A replica died outside placement. */
  void lose(PlacedReplica replica) {
    model = model.withoutReplica(replica.replica());
  }

  CapacityModel model() {
    return model;
  }

  Instant now() {
    return now;
  }

  int placed(AppId app) {
    return model.replicasOf(app).size();
  }

  /** GPUs the app holds across the fleet. */
  int gpus(AppId app) {
    return model.replicasOf(app).stream().mapToInt(replica -> replica.need().gpuCount()).sum();
  }

  // --- pools and apps used across the tests ---

  static NodePoolSpec gpuPool(String name, GpuType gpu, int gpusPerNode, int minNodes, int maxNodes,
      Duration provisionTime, Duration idleNodeDelay) {
    return new NodePoolSpec(name, Optional.of(gpu), gpusPerNode, minNodes, maxNodes, provisionTime, idleNodeDelay);
  }

  /** A GPU pool whose nodes are all there from the first tick: no provisioning in the way of the rule under test. */
  static NodePoolSpec fixedPool(String name, GpuType gpu, int gpusPerNode, int nodes) {
    return gpuPool(name, gpu, gpusPerNode, nodes, nodes, Duration.ZERO, Duration.ofMinutes(5));
  }

  static NodePoolSpec cpuPool(String name, double cpusPerNode, int maxNodes) {
    return new NodePoolSpec(name, Optional.empty(), 0, 0, maxNodes, Duration.ofSeconds(30), Duration.ofMinutes(5),
        OptionalDouble.of(cpusPerNode), OptionalDouble.empty());
  }

  static ReplicaNeed gpus(GpuType gpu, int count) {
    return new ReplicaNeed(Optional.of(gpu), count, 4, 16);
  }

  static ReplicaNeed cpu(double vcpus) {
    return new ReplicaNeed(Optional.empty(), 0, vcpus, 4);
  }

  static AppId app(String name) {
    return new AppId("p", name);
  }

  /** An app deployed {@code deployedSecond} seconds after {@link #T0}. */
  static AppDemand demand(String name, ReplicaNeed need, int minReplicas, int wanted, long deployedSecond) {
    return new AppDemand(app(name), need, minReplicas, wanted, T0.plusSeconds(deployedSecond));
  }
}

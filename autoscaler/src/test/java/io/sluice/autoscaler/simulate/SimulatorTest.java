package io.sluice.autoscaler.simulate;

import static io.sluice.autoscaler.simulate.Scenario.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.config.AppSpec;
import io.sluice.config.GpuType;
import io.sluice.config.NodePoolSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The replay engine on handmade requests, one behaviour per test. */
class SimulatorTest {

  private static final AppSpec L4_APP = Scenario.app("ADA_L4", 1, 0, 4, 8);
  private static final NodePoolSpec FOUR_L4_NODES = Scenario.readyPool(GpuType.L4, 1, 4);

  @ParameterizedTest
  @EnumSource(value = SimulatedPolicy.class, names = {"KNATIVE", "SLUICE"})
  void a_single_request_at_zero_waits_exactly_the_startup_time(SimulatedPolicy policy) {
    // Deployed at 0 s, the app's initial replica has come and gone long before the request: it finds the app at zero,
    // pokes the decider at once (600.3 s is between ticks) and waits for one replica to start on a ready node.
    Trace trace = Scenario.trace(List.of(request(600.3, 5)));

    SimulationResult result = Simulator.run(trace, Scenario.setup(L4_APP, FOUR_L4_NODES), policy);

    assertThat(result.served()).isEqualTo(1);
    assertThat(result.waitMaxSeconds()).isEqualTo(30.0);
    assertThat(result.coldStartWaits()).isEqualTo(1);
    assertThat(result.waited()).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(SimulatedPolicy.class)
  void no_replica_ever_has_more_requests_than_its_hard_limit(SimulatedPolicy policy) {
    // 60 long requests in a burst, 4 replicas of 8 slots at most: 32 run, the rest wait for a slot.
    List<Scenario.Request> burst = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      burst.add(request(600 + i * 0.01, 120));
    }

    SimulationResult result = Simulator.run(Scenario.trace(burst), Scenario.setup(L4_APP, FOUR_L4_NODES), policy);

    assertThat(result.maxInFlightPerReplica()).isLessThanOrEqualTo(8);
    assertThat(result.served()).isEqualTo(60);
    if (policy != SimulatedPolicy.MIN) {
      assertThat(result.maxInFlightPerReplica()).isEqualTo(8);
    }
  }

  @Test
  void gpu_seconds_are_replica_lifetimes_times_gpus_per_replica() {
    // Three replicas of 2 x H100 from deploy (no autoscaling), on three ready nodes; the one request is served when
    // they are ready at 30 s and done at 34 s, the first tick with everything settled: 3 x 2 GPUs x 34 s.
    AppSpec app = Scenario.app("HOPPER_H100", 2, 0, 3, 4);
    Trace trace = Scenario.trace(List.of(request(10, 4)));

    SimulationResult result = Simulator.run(trace, Scenario.setup(app, Scenario.readyPool(GpuType.H100, 2, 3)),
        SimulatedPolicy.MAX);

    assertThat(result.endSeconds()).isEqualTo(34.0);
    assertThat(result.gpuUnits()).isTrue();
    assertThat(result.replicaUnitSeconds()).isEqualTo(3 * 2 * 34.0);
    assertThat(result.nodeUnitSeconds()).isEqualTo(3 * 2 * 34.0);
    assertThat(result.waitMaxSeconds()).isEqualTo(20.0);
    assertThat(result.peakReplicas()).isEqualTo(3);
    assertThat(result.replicaStarts()).isEqualTo(3);
  }

  @Test
  void a_cpu_app_counts_replica_seconds() {
    AppSpec app = Scenario.app("CPU", 0, 0, 2, 4);
    NodePoolSpec cpu = new NodePoolSpec("cpu", Optional.empty(), 0, 2, 2, Duration.ZERO, Duration.ofMinutes(5));
    Trace trace = Scenario.trace(List.of(request(10, 4)));

    SimulationResult result = Simulator.run(trace, Scenario.setup(app, cpu), SimulatedPolicy.MAX);

    assertThat(result.gpuUnits()).isFalse();
    assertThat(result.replicaUnitSeconds()).isEqualTo(2 * 34.0);
  }

  @Test
  void a_replica_waiting_for_a_node_waits_for_its_provisioning_too() {
    // No node at first: the request waits for a node (60 s), the first tick after it is ready (60 s is a tick), and
    // the replica's start-up (30 s).
    NodePoolSpec pool = new NodePoolSpec("l4", Optional.of(GpuType.L4), 1, 0, 4, Duration.ofSeconds(60),
        Duration.ofMinutes(5));
    Trace trace = Scenario.trace(List.of(request(0.5, 1)));

    SimulationResult result = Simulator.run(trace, Scenario.setup(L4_APP, pool), SimulatedPolicy.KNATIVE);

    assertThat(result.waitMaxSeconds()).isEqualTo(89.5);
    assertThat(result.coldStartWaits()).isEqualTo(1);
  }

  @ParameterizedTest
  @EnumSource(SimulatedPolicy.class)
  void the_same_inputs_give_the_same_result(SimulatedPolicy policy) {
    Trace trace = randomTrace(42, 3000);
    AppSpec app = DefaultSetup.app();
    SimulationSetup setup = Scenario.setup(app, DefaultSetup.poolsFor(app).get(0));

    SimulationResult first = Simulator.run(trace, setup, policy);
    SimulationResult second = Simulator.run(trace, setup, policy);

    assertThat(second).isEqualTo(first);
    assertThat(first.timeline().size()).isGreaterThan(0);
    assertThat(first.served()).isEqualTo(3000);
  }

  @Test
  void every_app_of_a_trace_gets_its_own_copy_of_the_app() {
    Trace trace = Scenario.trace(List.of(new Scenario.Request("Chat Bot", 600, 1),
        new Scenario.Request("chat-bot", 601, 1), new Scenario.Request("embed", 602, 1)));

    SimulationResult result = Simulator.run(trace, Scenario.setup(L4_APP, FOUR_L4_NODES), SimulatedPolicy.SLUICE);

    assertThat(result.timeline().apps()).containsExactly("chat-bot", "chat-bot-2", "embed");
    assertThat(result.served()).isEqualTo(3);
  }

  @Test
  void an_app_no_pool_can_host_is_refused_up_front() {
    Trace trace = Scenario.trace(List.of(request(1, 1)));
    SimulationSetup setup = Scenario.setup(L4_APP, Scenario.readyPool(GpuType.H100, 1, 1));

    assertThatThrownBy(() -> Simulator.run(trace, setup, SimulatedPolicy.SLUICE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("pools: none for 1 x L4")
        .hasMessageContaining("gpu = \"L4\"");
  }

  @Test
  void percentiles_are_nearest_rank() {
    long[] sorted = {1_000_000_000L, 2_000_000_000L, 3_000_000_000L, 4_000_000_000L};

    assertThat(Simulator.percentile(sorted, 0.5)).isEqualTo(2.0);
    assertThat(Simulator.percentile(sorted, 0.99)).isEqualTo(4.0);
    assertThat(Simulator.percentile(new long[0], 0.5)).isEqualTo(0.0);
  }

  /** Poisson arrivals at about 2 per second with log-normal service times: a test input, seeded. */
  static Trace randomTrace(long seed, int requests) {
    SplittableRandom random = new SplittableRandom(seed);
    List<Scenario.Request> list = new ArrayList<>();
    double at = 0;
    for (int i = 0; i < requests; i++) {
      at += -Math.log(1 - random.nextDouble()) / 2;
      list.add(request(at, Math.exp(random.nextGaussian() * 0.8 + 1)));
    }
    return Scenario.trace(list);
  }
}

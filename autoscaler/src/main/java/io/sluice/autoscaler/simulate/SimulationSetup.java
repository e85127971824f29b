package io.sluice.autoscaler.simulate;

import io.sluice.config.AppSpec;
import io.sluice.config.NodePoolSpec;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Everything a replay needs besides the trace and the policy.
 *
 * @param app the app every trace app is deployed as (its knobs and hardware); a trace of several apps deploys one copy
 *     per trace app, each under its own name
 * @param appSource where {@code app} came from, for the output ({@code built-in ...}, or its config file)
 * @param startup how long a replica takes from being started on a node to being ready
 * @param pools the node pools the capacity model places replicas on
 * @param poolsSource where {@code pools} came from, for the output
 * @param tick how often the deciders run (Knative: 2 s)
 * @param tail how long to keep going after the last arrival or completion for the apps to settle; a run also ends
 *     earlier, on the first tick at which every request is served, every app is back at its floor and no node is idle
 * @param timelineStep how often the timeline records a row per app (a multiple of {@code tick})
 */
public record SimulationSetup(AppSpec app, String appSource, Duration startup, List<NodePoolSpec> pools,
    String poolsSource, Duration tick, Duration tail, Duration timelineStep) {

  public SimulationSetup {
    Objects.requireNonNull(app, "app");
    Objects.requireNonNull(appSource, "appSource");
    Objects.requireNonNull(startup, "startup");
    pools = List.copyOf(Objects.requireNonNull(pools, "pools"));
    Objects.requireNonNull(poolsSource, "poolsSource");
    Objects.requireNonNull(tick, "tick");
    Objects.requireNonNull(tail, "tail");
    Objects.requireNonNull(timelineStep, "timelineStep");
    if (startup.isNegative()) {
      throw new IllegalArgumentException("startup: " + startup + " (expected: >= 0)");
    }
    if (pools.isEmpty()) {
      throw new IllegalArgumentException("pools: none (expected: at least one node pool)");
    }
    if (tick.compareTo(Duration.ofMillis(1)) < 0) {
      throw new IllegalArgumentException("tick: " + tick + " (expected: >= 1ms)");
    }
    if (tail.isNegative()) {
      throw new IllegalArgumentException("tail: " + tail + " (expected: >= 0)");
    }
    if (timelineStep.compareTo(tick) < 0 || timelineStep.toNanos() % tick.toNanos() != 0) {
      throw new IllegalArgumentException("timelineStep: " + timelineStep + " (expected: a multiple of the tick, "
          + tick + ")");
    }
  }

  /** Knative's 2 s tick, 15 minutes of tail, a timeline row per tick. */
  public static SimulationSetup of(AppSpec app, String appSource, Duration startup, List<NodePoolSpec> pools,
      String poolsSource) {
    return new SimulationSetup(app, appSource, startup, pools, poolsSource, Duration.ofSeconds(2),
        Duration.ofMinutes(15), Duration.ofSeconds(2));
  }

  public SimulationSetup withTimelineStep(Duration step) {
    return new SimulationSetup(app, appSource, startup, pools, poolsSource, tick, tail, step);
  }

  public SimulationSetup withTail(Duration value) {
    return new SimulationSetup(app, appSource, startup, pools, poolsSource, tick, value, timelineStep);
  }
}

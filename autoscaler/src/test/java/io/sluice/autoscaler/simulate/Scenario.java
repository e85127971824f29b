package io.sluice.autoscaler.simulate;

import io.sluice.config.AppConfigReader;
import io.sluice.config.AppSpec;
import io.sluice.config.ConfigException;
import io.sluice.config.GpuType;
import io.sluice.config.NodePoolSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** Handmade requests, apps and pools for the engine's tests: test inputs, not data. */
final class Scenario {

  static final Duration STARTUP = Duration.ofSeconds(30);

  private Scenario() {}

  /** One request: which app, when it arrives and how long it takes, in seconds. */
  record Request(String app, double arrivalSeconds, double serviceSeconds) {}

  static Request request(double arrivalSeconds, double serviceSeconds) {
    return new Request("app", arrivalSeconds, serviceSeconds);
  }

  /** A trace of {@code requests}, time zero (deploy) at 2025-01-01T00:00:00Z. */
  static Trace trace(List<Request> requests) {
    long origin = 1_735_689_600L * 1_000_000_000L;
    TraceBuilder builder = new TraceBuilder().origin(origin);
    for (Request request : requests) {
      builder.add(builder.app(request.app()), origin + Math.round(request.arrivalSeconds() * 1e9),
          Math.round(request.serviceSeconds() * 1e9));
    }
    return builder.build(TraceFormat.CSV, "handmade requests", Optional.empty(), List.of(), Optional.empty());
  }

  /** An app as a user would write it, with the given knobs and hardware. */
  static AppSpec app(String compute, int gpuCount, int minReplicas, int maxReplicas, int replicaConcurrency) {
    String toml = """
        [cerebrium.deployment]
        name = "app"

        [cerebrium.runtime.custom]
        port = 8000
        entrypoint = ["serve"]

        [cerebrium.hardware]
        compute = "%s"
        %s

        [cerebrium.scaling]
        min_replicas = %d
        max_replicas = %d
        replica_concurrency = %d
        """.formatted(compute, compute.equals("CPU") ? "" : "gpu_count = " + gpuCount, minReplicas, maxReplicas,
        replicaConcurrency);
    try {
      return AppConfigReader.parseCerebrium(toml, Path.of("test cerebrium.toml"), "app").spec();
    } catch (ConfigException e) {
      throw new AssertionError(e.getMessage(), e);
    }
  }

  /** A pool whose nodes are there from the first tick and never released: no provisioning in the way. */
  static NodePoolSpec readyPool(GpuType gpu, int gpusPerNode, int nodes) {
    return new NodePoolSpec("gpus", Optional.of(gpu), gpusPerNode, nodes, nodes, Duration.ZERO,
        Duration.ofMinutes(5));
  }

  static SimulationSetup setup(AppSpec app, NodePoolSpec... pools) {
    return SimulationSetup.of(app, "test app", STARTUP, List.of(pools), "test pools");
  }
}

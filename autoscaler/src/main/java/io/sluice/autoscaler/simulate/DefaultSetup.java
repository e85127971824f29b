package io.sluice.autoscaler.simulate;

import io.sluice.config.AppConfigReader;
import io.sluice.config.AppSpec;
import io.sluice.config.ConfigException;
import io.sluice.config.GpuType;
import io.sluice.config.NodePoolSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What {@code sluice simulate} replays against when the user names no app and no pools: a GPU app like the seeds' vLLM
 * example (Meta-Llama-3.1-8B-Instruct with vLLM on an L4), written as the {@code cerebrium.toml} a user would write,
 * and one pool of that GPU.
 */
public final class DefaultSetup {

  /** The built-in app's config, read by the same reader as a user's. */
  public static final String APP_TOML = """
      # Built into sluice simulate: a vLLM server like the seeds' example, on one L4.
      [cerebrium.deployment]
      name = "vllm-llm"

      [cerebrium.runtime.custom]
      port = 8000
      entrypoint = ["vllm", "serve", "meta-llama/Meta-Llama-3.1-8B-Instruct", "--port", "8000"]
      healthcheck_endpoint = "/health"
      readycheck_endpoint = "/health"

      [cerebrium.hardware]
      compute = "ADA_L4"
      gpu_count = 1
      cpu = 4
      memory = 16.0

      [cerebrium.scaling]
      min_replicas = 0
      max_replicas = 8
      replica_concurrency = 8
      """;

  public static final String APP_SOURCE = "built-in: a vLLM app like the seeds' example, 1 x L4, min 0, max 8, "
      + "replica_concurrency 8, Cerebrium's defaults for the rest (target 100 %, cooldown 60 s)";

  /** The replica start-up time used when none is given. */
  public static final Duration STARTUP = Duration.ofSeconds(30);

  static final int POOL_MAX_NODES = 8;
  static final Duration POOL_PROVISION = Duration.ofSeconds(60);
  static final Duration POOL_IDLE_RELEASE = Duration.ofSeconds(300);

  private DefaultSetup() {}

  public static AppSpec app() {
    try {
      return AppConfigReader.parseCerebrium(APP_TOML, Path.of("built-in vllm-llm cerebrium.toml"), "vllm-llm").spec();
    } catch (ConfigException e) {
      throw new IllegalStateException("the built-in app does not parse: " + e.getMessage(), e);
    }
  }

  /**
   * One pool for the app's hardware: nodes of its GPU model with as many GPUs as a replica needs (or a CPU pool),
   * none at first, at most 8, 60 s to provision, released after 300 s idle ({@code sluice.toml}'s default).
   */
  public static List<NodePoolSpec> poolsFor(AppSpec app) {
    Optional<GpuType> gpu = app.hardware().gpu();
    String name = gpu.map(type -> type.name().toLowerCase(Locale.ROOT).replace('_', '-')).orElse("cpu");
    int gpusPerNode = gpu.isPresent() ? app.hardware().gpuCount() : 0;
    return List.of(new NodePoolSpec(name, gpu, gpusPerNode, 0, POOL_MAX_NODES, POOL_PROVISION, POOL_IDLE_RELEASE));
  }

  public static String poolsSource(List<NodePoolSpec> pools) {
    NodePoolSpec pool = pools.get(0);
    return "built-in: pool " + pool.describe() + ", min 0, max " + POOL_MAX_NODES + " nodes, provision "
        + POOL_PROVISION.toSeconds() + " s, released after " + POOL_IDLE_RELEASE.toSeconds() + " s idle";
  }
}

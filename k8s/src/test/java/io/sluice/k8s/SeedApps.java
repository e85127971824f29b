package io.sluice.k8s;

import io.sluice.config.AppId;
import io.sluice.config.AppSpec;
import io.sluice.config.Command;
import io.sluice.config.ConfigFormat;
import io.sluice.config.GpuType;
import io.sluice.config.HardwareSpec;
import io.sluice.config.RuntimeSpec;
import io.sluice.config.ScalingMetric;
import io.sluice.config.ScalingSpec;
import io.sluice.config.UpstreamProtocol;
import io.sluice.config.WebSocketSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Apps as the seeds' configs would read, written by hand so that these tests do not depend on the readers. */
final class SeedApps {

  static final String VLLM_START_COMMAND = "sh -c \"HF_TOKEN=$(cat /secrets/hf_access_token) vllm serve "
      + "meta-llama/Meta-Llama-3.1-8B-Instruct --port 8000 --max-model-len 1024\"";

  private SeedApps() {}

  /** Baseten's vLLM example: {@code docker_server} on port 8000, {@code /health} probes, an L4 and an HF token. */
  static AppSpec vllmOnL4() {
    return new AppSpec(
        new AppId("llm", "vllm-model-server"),
        ConfigFormat.TRUSS_YAML,
        new RuntimeSpec(
            new Command.Shell(VLLM_START_COMMAND),
            8000,
            Optional.of("/health"),
            Optional.of("/health"),
            Optional.of("/v1/chat/completions"),
            UpstreamProtocol.HTTP1),
        scaling(Duration.ofSeconds(30)),
        new HardwareSpec(Optional.of(GpuType.L4), 1, 4.0, 16.0),
        Map.of(),
        List.of("hf_access_token"),
        true,
        Duration.ofMinutes(10),
        WebSocketSpec.DEFAULTS);
  }

  /** A Cerebrium custom runtime with an {@code entrypoint} and no health or ready endpoint, on CPUs. */
  static AppSpec cerebriumWithoutEndpoints() {
    return new AppSpec(
        new AppId("demo", "hello"),
        ConfigFormat.CEREBRIUM_TOML,
        new RuntimeSpec(
            new Command.Exec(List.of("uvicorn", "main:app", "--host", "0.0.0.0", "--port", "5000")),
            5000,
            Optional.empty(),
            Optional.empty(),
            Optional.empty(),
            UpstreamProtocol.HTTP1),
        scaling(Duration.ofMillis(2500)),
        new HardwareSpec(Optional.empty(), 0, 0.5, 1.5),
        Map.of("LOG_LEVEL", "debug", "APP_MODE", "fast"),
        List.of(),
        false,
        Duration.ofSeconds(60),
        WebSocketSpec.DEFAULTS);
  }

  /** A large model on two H100s. */
  static AppSpec twoH100s() {
    return new AppSpec(
        new AppId("research", "llama-70b"),
        ConfigFormat.TRUSS_YAML,
        new RuntimeSpec(
            new Command.Shell("vllm serve meta-llama/Llama-3.1-70B-Instruct --tensor-parallel-size 2 --port 8000"),
            8000,
            Optional.of("/health"),
            Optional.empty(),
            Optional.of("/v1/chat/completions"),
            UpstreamProtocol.HTTP1),
        scaling(Duration.ofSeconds(120)),
        new HardwareSpec(Optional.of(GpuType.H100), 2, 24.0, 200.0),
        Map.of(),
        List.of("hf_access_token", "wandb-key"),
        true,
        Duration.ofMinutes(10),
        WebSocketSpec.DEFAULTS);
  }

  static NodePool gkeL4Pool() {
    return NodePool.gke("l4", GpuType.L4, "nvidia-l4", 1);
  }

  static NodePool karpenterH100Pool() {
    return NodePool.karpenter("h100", GpuType.H100, "h100", 8);
  }

  static NodePool cpuPool() {
    return NodePool.cpu("cpu", Map.of("sluice.io/pool", "cpu"));
  }

  static ScalingSpec scaling(Duration responseGracePeriod) {
    return new ScalingSpec(
        0, 4, 128, ScalingMetric.CONCURRENCY_UTILIZATION, 100, 0.7, 0,
        Duration.ofSeconds(60), Duration.ofMinutes(5), responseGracePeriod);
  }
}

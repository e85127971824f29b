package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The examples of the seed documents, copied verbatim under src/test/resources/seeds/, read as they are written. */
class SeedConfigTest {

  private static final String NOT_INSTALLED =
      "Sluice does not install dependencies; install them where the replica runs";

  @Test
  void seed_cerebrium_custom_runtime_parses_as_written() throws Exception {
    LoadedApp app = AppConfigReader.read(seed("cerebrium-fastapi"));

    assertThat(app.spec()).isEqualTo(new AppSpec(
        new AppId("local", "cerebrium-fastapi"),
        ConfigFormat.CEREBRIUM_TOML,
        new RuntimeSpec(
            new Command.Exec(List.of("uvicorn", "main:app", "--host", "0.0.0.0", "--port", "5000")),
            5000,
            Optional.of("/health"),
            Optional.of("/ready"),
            Optional.empty(),
            UpstreamProtocol.HTTP1),
        new ScalingSpec(0, 5, 1, ScalingMetric.CONCURRENCY_UTILIZATION, 1, 1.0, 0,
            Duration.ofSeconds(60), Duration.ofSeconds(60), Duration.ofSeconds(900)),
        new HardwareSpec(Optional.empty(), 0, 2, 12),
        Map.of(),
        List.of(),
        true,
        Duration.ofSeconds(300),
        WebSocketSpec.DEFAULTS,
        PayloadCapture.OFF,
        new ContainerSpec(Optional.empty(), List.of("pydantic", "numpy", "loguru", "fastapi"), Optional.empty())));
    assertThat(app.configFile()).isEqualTo(seed("cerebrium-fastapi").resolve("cerebrium.toml"));
    assertThat(app.ignoredKeys()).isEmpty();
    assertThat(app.notices()).containsExactly("[cerebrium.dependencies.pip] lists pydantic, numpy, loguru, fastapi:"
        + " installed on Kubernetes only, into each pod as it starts; local replicas use what is installed on this"
        + " machine");
  }

  @Test
  void seed_vllm_truss_config_parses_as_written() throws Exception {
    LoadedApp app = AppConfigReader.read(seed("truss-vllm"));

    assertThat(app.spec()).isEqualTo(new AppSpec(
        new AppId("local", "truss-vllm"),
        ConfigFormat.TRUSS_YAML,
        new RuntimeSpec(
            new Command.Shell("vllm serve meta-llama/Meta-Llama-3.1-8B-Instruct --port 8000 --max-model-len 1024"),
            8000,
            Optional.of("/health"),
            Optional.of("/health"),
            Optional.of("/v1/chat/completions"),
            UpstreamProtocol.HTTP1),
        trussDefaultScaling(1),
        new HardwareSpec(Optional.empty(), 0, 1, 2),
        Map.of(),
        List.of(),
        true,
        Duration.ofSeconds(300),
        WebSocketSpec.DEFAULTS,
        PayloadCapture.OFF,
        trussImage("vllm/vllm-openai:latest")));
    assertThat(app.ignoredKeys()).isEmpty();
    assertThat(app.notices()).containsExactly(baseImageNotice("vllm/vllm-openai:latest"));
  }

  @Test
  void seed_vllm_truss_config_with_secrets_resources_and_runtime_parses_as_written() throws Exception {
    LoadedApp app = AppConfigReader.read(seed("truss-vllm-l4"));

    assertThat(app.spec()).isEqualTo(new AppSpec(
        new AppId("local", "vllm-model-server"),
        ConfigFormat.TRUSS_YAML,
        new RuntimeSpec(
            new Command.Shell("sh -c \"HF_TOKEN=$(cat /secrets/hf_access_token) vllm serve"
                + " meta-llama/Meta-Llama-3.1-8B-Instruct --port 8000 --max-model-len 1024\""),
            8000,
            Optional.of("/health"),
            Optional.of("/health"),
            Optional.of("/v1/chat/completions"),
            UpstreamProtocol.HTTP1),
        trussDefaultScaling(128),
        new HardwareSpec(Optional.of(GpuType.L4), 1, 1, 2),
        Map.of(),
        List.of("hf_access_token"),
        true,
        Duration.ofSeconds(300),
        WebSocketSpec.DEFAULTS,
        PayloadCapture.OFF,
        trussImage("vllm/vllm-openai:latest")));
    assertThat(app.ignoredKeys()).isEmpty();
    assertThat(app.notices()).containsExactly(baseImageNotice("vllm/vllm-openai:latest"));
  }

  @Test
  void seed_infinity_truss_config_parses_as_written() throws Exception {
    LoadedApp app = AppConfigReader.read(seed("truss-infinity"));

    assertThat(app.spec()).isEqualTo(new AppSpec(
        new AppId("local", "infinity-embedding-server"),
        ConfigFormat.TRUSS_YAML,
        new RuntimeSpec(
            new Command.Shell("sh -c \"infinity_emb v2 --model-id BAAI/bge-small-en-v1.5\""),
            7997,
            Optional.of("/health"),
            Optional.of("/health"),
            Optional.of("/embeddings"),
            UpstreamProtocol.HTTP1),
        trussDefaultScaling(1),
        new HardwareSpec(Optional.of(GpuType.L4), 1, 1, 2),
        Map.of(),
        List.of(),
        true,
        Duration.ofSeconds(300),
        WebSocketSpec.DEFAULTS,
        PayloadCapture.OFF,
        trussImage("python:3.11-slim")));
    assertThat(app.ignoredKeys()).isEmpty();
    assertThat(app.notices()).containsExactly(
        "environment_variables.hf_access_token is null and is not set: give it a value, or declare it under secrets"
            + " if it is a secret",
        "requirements lists infinity-emb[all]: " + NOT_INSTALLED,
        baseImageNotice("python:3.11-slim"));
  }

  private static ScalingSpec trussDefaultScaling(int predictConcurrency) {
    return new ScalingSpec(0, 1, predictConcurrency, ScalingMetric.CONCURRENCY_UTILIZATION, 1, 0.7, 0,
        Duration.ofSeconds(60), Duration.ofSeconds(900), Duration.ofSeconds(900));
  }

  private static String baseImageNotice(String image) {
    return "base_image.image = \"" + image + "\": used on Kubernetes only, as the image of the app's pods; local"
        + " replicas run start_command on this machine";
  }

  private static ContainerSpec trussImage(String image) {
    return new ContainerSpec(Optional.of(image), List.of(), Optional.empty());
  }

  static Path seed(String folder) throws URISyntaxException {
    return Path.of(SeedConfigTest.class.getResource("/seeds/" + folder).toURI());
  }
}

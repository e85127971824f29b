package io.sluice.dataplane.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.AppId;
import io.sluice.config.AppSpec;
import io.sluice.config.Command;
import io.sluice.config.ConfigFormat;
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
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class AppDirectoryTest {

  static final AppDirectory directory = new AppDirectory();

  static AppSpec spec(String project, String name, ConfigFormat format, String predictPath) {
    return spec(project, name, format, predictPath, 1);
  }

  static AppSpec spec(String project, String name, ConfigFormat format, String predictPath, int hardLimit) {
    return new AppSpec(new AppId(project, name), format,
        new RuntimeSpec(new Command.Exec(List.of("server")), 8000, Optional.empty(), Optional.empty(),
            Optional.ofNullable(predictPath), UpstreamProtocol.HTTP1),
        new ScalingSpec(0, 1, hardLimit, ScalingMetric.CONCURRENCY_UTILIZATION, 1, 1, 0, Duration.ofSeconds(60),
            Duration.ofSeconds(60), Duration.ofSeconds(60)),
        HardwareSpec.CPU_DEFAULT, Map.of(), List.of(), true, Duration.ofSeconds(30),
        WebSocketSpec.DEFAULTS);
  }

  @BeforeAll
  static void apps() {
    directory.put(new AppRoute(spec("p1", "chat", ConfigFormat.CEREBRIUM_TOML, null), 1, 10, new NodeDrain()));
    directory.put(new AppRoute(spec("p1", "vllm", ConfigFormat.TRUSS_YAML, "/v1/chat/completions"), 1, 10,
        new NodeDrain()));
  }

  record Case(String name, String uri, String app, String upstream, RequestTarget.Error error) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("cerebrium path goes to the same path on the replica", "/v4/p1/chat/run/x?y=1", "chat",
            "/run/x?y=1", null),
        new Case("app root goes to /", "/v4/p1/chat", "chat", "/", null),
        new Case("app root with query", "/v4/p1/chat?q=1", "chat", "/?q=1", null),
        new Case("cerebrium predict is just a path", "/v4/p1/chat/predict", "chat", "/predict", null),
        new Case("truss predict goes to predict_endpoint", "/v4/p1/vllm/predict", "vllm", "/v1/chat/completions",
            null),
        new Case("truss predict keeps the query", "/v4/p1/vllm/predict?stream=1", "vllm",
            "/v1/chat/completions?stream=1", null),
        new Case("truss sync goes to any route", "/v4/p1/vllm/sync/v1/models", "vllm", "/v1/models", null),
        new Case("truss environments prefix, predict", "/v4/p1/vllm/environments/production/predict", "vllm",
            "/v1/chat/completions", null),
        new Case("truss environments prefix, sync", "/v4/p1/vllm/environments/production/sync/health", "vllm",
            "/health", null),
        new Case("truss other paths pass as they are", "/v4/p1/vllm/metrics", "vllm", "/metrics", null),
        new Case("unknown app", "/v4/p1/nope/x", null, null, RequestTarget.Error.NOT_FOUND),
        new Case("unknown project", "/v4/p2/chat/x", null, null, RequestTarget.Error.NOT_FOUND),
        new Case("not a v4 path", "/predict", null, null, RequestTarget.Error.NOT_FOUND),
        new Case("project only", "/v4/p1", null, null, RequestTarget.Error.NOT_FOUND),
        new Case("dot-dot segment", "/v4/p1/chat/a/../b", null, null, RequestTarget.Error.BAD_PATH),
        new Case("encoded dot-dot", "/v4/p1/chat/%2E%2e/b", null, null, RequestTarget.Error.BAD_PATH),
        new Case("encoded slash", "/v4/p1/chat/a%2Fb", null, null, RequestTarget.Error.BAD_PATH),
        new Case("backslash", "/v4/p1/chat/a\\b", null, null, RequestTarget.Error.BAD_PATH),
        new Case("dot segment", "/v4/p1/chat/./b", null, null, RequestTarget.Error.BAD_PATH),
        new Case("dots inside a name are fine", "/v4/p1/chat/model.v2..final", "chat", "/model.v2..final", null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void resolves_public_uris_to_an_app_and_an_upstream_uri(Case c) {
    RequestTarget target = directory.resolve(c.uri());

    assertThat(target.error()).isEqualTo(c.error());
    if (c.error() == null) {
      assertThat(target.route().spec().id().name()).isEqualTo(c.app());
      assertThat(target.upstreamUri()).isEqualTo(c.upstream());
    }
  }
}

package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Good and bad configs of both formats, one row each. */
class ConfigCasesTest {

  private static final String TOML_RUNTIME = """
      [cerebrium.runtime.custom]
      port = 8080
      entrypoint = ["python", "server.py"]
      """;

  private static final String YAML_SERVER = """
      docker_server:
        start_command: python server.py
        server_port: 8080
        predict_endpoint: /predict
      """;

  record GoodCase(String name, ConfigFormat format, String text, Consumer<LoadedApp> expect) {
    @Override
    public String toString() {
      return name;
    }
  }

  record BadCase(String name, ConfigFormat format, String text, List<String> messageParts) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<GoodCase> goodCases() {
    return Stream.of(
        new GoodCase("cerebrium entrypoint written as one string runs through a shell", ConfigFormat.CEREBRIUM_TOML, """
            [cerebrium.runtime.custom]
            port = 8080
            entrypoint = "uvicorn main:app --port 8080"
            """,
            app -> assertThat(app.spec().runtime().command())
                .isEqualTo(new Command.Shell("uvicorn main:app --port 8080"))),
        new GoodCase("cerebrium without probe endpoints probes by TCP", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME,
            app -> {
              assertThat(app.spec().runtime().healthPath()).isEmpty();
              assertThat(app.spec().runtime().readyPath()).isEmpty();
              assertThat(app.spec().runtime().predictPath()).isEmpty();
            }),
        new GoodCase("cerebrium deployment name names the app", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME + """
            [cerebrium.deployment]
            name = "my-app-2"
            """,
            app -> assertThat(app.spec().id()).isEqualTo(new AppId("local", "my-app-2"))),
        new GoodCase("cerebrium gpu compute and count", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME + """
            [cerebrium.hardware]
            compute = "ADA_L4"
            gpu_count = 2
            cpu = 4.5
            memory = 32
            """,
            app -> assertThat(app.spec().hardware()).isEqualTo(new HardwareSpec(Optional.of(GpuType.L4), 2, 4.5, 32))),
        new GoodCase("cerebrium gpu count defaults to one", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME + """
            [cerebrium.hardware]
            compute = "HOPPER_H100"
            """,
            app -> assertThat(app.spec().hardware()).isEqualTo(new HardwareSpec(Optional.of(GpuType.H100), 1, 2, 12))),
        new GoodCase("cerebrium concurrency target is a share of replica concurrency", ConfigFormat.CEREBRIUM_TOML,
            TOML_RUNTIME + """
            [cerebrium.scaling]
            min_replicas = 1
            max_replicas = 10
            cooldown = 120
            replica_concurrency = 8
            scaling_metric = "concurrency_utilization"
            scaling_target = 70
            scaling_buffer = 2
            response_grace_period = 30
            """,
            app -> assertThat(app.spec().scaling()).isEqualTo(new ScalingSpec(1, 10, 8,
                ScalingMetric.CONCURRENCY_UTILIZATION, 8, 0.7, 2, Duration.ofSeconds(60), Duration.ofSeconds(120),
                Duration.ofSeconds(30)))),
        new GoodCase("cerebrium requests per second target is per replica", ConfigFormat.CEREBRIUM_TOML,
            TOML_RUNTIME + """
            [cerebrium.scaling]
            scaling_metric = "requests_per_second"
            scaling_target = 25
            """,
            app -> {
              assertThat(app.spec().scaling().metric()).isEqualTo(ScalingMetric.REQUESTS_PER_SECOND);
              assertThat(app.spec().scaling().target()).isEqualTo(25);
              assertThat(app.spec().scaling().targetUtilization()).isEqualTo(1.0);
            }),
        new GoodCase("cerebrium requests per second target defaults to ten", ConfigFormat.CEREBRIUM_TOML,
            TOML_RUNTIME + """
            [cerebrium.scaling]
            scaling_metric = "requests_per_second"
            """,
            app -> assertThat(app.spec().scaling().target()).isEqualTo(10)),
        new GoodCase("cerebrium disable_auth turns auth off", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME + """
            [cerebrium.deployment]
            disable_auth = true
            """,
            app -> assertThat(app.spec().authRequired()).isFalse()),
        new GoodCase("truss has no disable_auth, so sluice.disable_auth says it", ConfigFormat.TRUSS_YAML,
            YAML_SERVER + """
            sluice:
              disable_auth: true
            """,
            app -> assertThat(app.spec().authRequired()).isFalse()),
        new GoodCase("truss requires auth by default", ConfigFormat.TRUSS_YAML, YAML_SERVER,
            app -> assertThat(app.spec().authRequired()).isTrue()),
        new GoodCase("cerebrium environment and sluice request timeout", ConfigFormat.CEREBRIUM_TOML,
            TOML_RUNTIME + """
            [cerebrium.environment_variables]
            MODEL = "llama"
            WORKERS = 4

            [sluice]
            request_timeout = 60
            """,
            app -> {
              assertThat(app.spec().env()).isEqualTo(Map.of("MODEL", "llama", "WORKERS", "4"));
              assertThat(app.spec().requestTimeout()).isEqualTo(Duration.ofSeconds(60));
              assertThat(app.spec().secretNames()).isEmpty();
            }),
        new GoodCase("cerebrium build keys give notices not ignored keys", ConfigFormat.CEREBRIUM_TOML,
            TOML_RUNTIME + """
            [cerebrium.deployment]
            python_version = "3.11"
            docker_base_image_url = "debian:bookworm-slim"
            include = ["./*"]
            exclude = []
            shell_commands = ["echo hi"]

            [cerebrium.hardware]
            provider = "aws"
            region = "us-east-1"

            [cerebrium.dependencies.apt]
            ffmpeg = "latest"

            [cerebrium.dependencies.paths]
            pip = "requirements.txt"
            """,
            app -> {
              assertThat(app.ignoredKeys()).isEmpty();
              assertThat(app.notices()).containsExactly(
                  "[cerebrium.deployment] include lists ./*: Sluice uploads no files; the replica runs in the app"
                      + " folder",
                  "[cerebrium.deployment] shell_commands lists echo hi: Sluice runs no build steps; run them where"
                      + " the replica runs",
                  "[cerebrium.hardware] provider = \"aws\": replicas run on this Sluice fleet's own machines",
                  "[cerebrium.hardware] region = \"us-east-1\": replicas run on this Sluice fleet's own machines",
                  "[cerebrium.deployment] docker_base_image_url = \"debian:bookworm-slim\": used on Kubernetes only,"
                      + " as the image of the app's pods; local replicas run the entrypoint on this machine",
                  "[cerebrium.deployment] python_version = \"3.11\": used on Kubernetes only, to pick the default"
                      + " image python:<version>-slim-bookworm when docker_base_image_url is absent; local replicas"
                      + " use this machine's Python",
                  "[cerebrium.dependencies.apt] lists ffmpeg: Sluice does not install dependencies; install them"
                      + " where the replica runs",
                  "[cerebrium.dependencies.paths] names \"requirements.txt\" (pip): Sluice does not install"
                      + " dependencies; install them where the replica runs");
            }),
        new GoodCase("truss accelerator with count and kubernetes quantities", ConfigFormat.TRUSS_YAML,
            YAML_SERVER + """
            resources:
              accelerator: H100:2
              cpu: "500m"
              memory: 512Mi
            """,
            app -> assertThat(app.spec().hardware())
                .isEqualTo(new HardwareSpec(Optional.of(GpuType.H100), 2, 0.5, 0.5))),
        new GoodCase("truss decimal memory and numeric cpu", ConfigFormat.TRUSS_YAML, YAML_SERVER + """
            resources:
              cpu: 2
              memory: 16G
            """,
            app -> assertThat(app.spec().hardware()).isEqualTo(
                new HardwareSpec(Optional.empty(), 0, 2, 16e9 / (1L << 30)))),
        new GoodCase("truss autoscaling settings with baseten names", ConfigFormat.TRUSS_YAML, YAML_SERVER + """
            runtime:
              predict_concurrency: 32
            autoscaling_settings:
              min_replica: 1
              max_replica: 4
              concurrency_target: 16
              target_utilization_percentage: 80
              autoscaling_window: 30
              scale_down_delay: 120
            """,
            app -> assertThat(app.spec().scaling()).isEqualTo(new ScalingSpec(1, 4, 32,
                ScalingMetric.CONCURRENCY_UTILIZATION, 16, 0.8, 0, Duration.ofSeconds(30), Duration.ofSeconds(120),
                Duration.ofSeconds(900)))),
        new GoodCase("truss secret written with a value keeps only its name", ConfigFormat.TRUSS_YAML,
            YAML_SERVER + """
            secrets:
              hf_access_token: hf_abc123
              other_token: null
            """,
            app -> {
              assertThat(app.spec().secretNames()).containsExactly("hf_access_token", "other_token");
              assertThat(app.notices()).containsExactly("secrets.hf_access_token has a value in the config file;"
                  + " Sluice ignores it: store the secret with `bin/sluice secrets set` and leave null here");
              assertThat(app.toString()).doesNotContain("hf_abc123");
            }),
        new GoodCase("truss environment values of any scalar type become text", ConfigFormat.TRUSS_YAML,
            YAML_SERVER + """
            environment_variables:
              MODEL: llama
              PORT: 9000
              DEBUG: true
              EMPTY: null
            """,
            app -> {
              assertThat(app.spec().env()).isEqualTo(Map.of("MODEL", "llama", "PORT", "9000", "DEBUG", "true"));
              assertThat(app.notices()).singleElement().asString().startsWith("environment_variables.EMPTY is null");
            }),
        new GoodCase("truss sluice extension sets the request timeout", ConfigFormat.TRUSS_YAML, YAML_SERVER + """
            sluice:
              request_timeout: 45
            """,
            app -> assertThat(app.spec().requestTimeout()).isEqualTo(Duration.ofSeconds(45))),
        new GoodCase("truss packages and python version give notices", ConfigFormat.TRUSS_YAML, YAML_SERVER + """
            python_version: py311
            system_packages:
              - ffmpeg
              - libsndfile1
            requirements: []
            """,
            app -> assertThat(app.notices()).containsExactly(
                "system_packages lists ffmpeg, libsndfile1: Sluice does not install system packages; install them"
                    + " where the replica runs",
                "python_version = \"py311\": Sluice runs start_command with whatever Python is where the replica"
                    + " runs")),
        new GoodCase("truss accelerator overrules use_gpu false with a notice", ConfigFormat.TRUSS_YAML,
            YAML_SERVER + """
            resources:
              accelerator: A10G
              use_gpu: false
            """,
            app -> {
              assertThat(app.spec().hardware().gpu()).contains(GpuType.A10);
              assertThat(app.notices()).containsExactly(
                  "resources.use_gpu = false was overruled: resources.accelerator asks for a GPU");
            }),
        new GoodCase("truss aliases within limits are resolved", ConfigFormat.TRUSS_YAML, YAML_SERVER + """
            common: &common
              LOG_LEVEL: info
            environment_variables: *common
            """,
            app -> {
              assertThat(app.spec().env()).isEqualTo(Map.of("LOG_LEVEL", "info"));
              assertThat(app.ignoredKeys()).containsExactly("common");
            }));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("goodCases")
  void good_config_reads_to_the_expected_app(GoodCase row) throws ConfigException {
    row.expect().accept(parse(row.format(), row.text()));
  }

  record ProtocolCase(String name, ConfigFormat format, String text, UpstreamProtocol expected) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<ProtocolCase> protocolCases() {
    return Stream.of(
        new ProtocolCase("cerebrium speaks http1 by default", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME,
            UpstreamProtocol.HTTP1),
        new ProtocolCase("cerebrium sluice protocol http1", ConfigFormat.CEREBRIUM_TOML, tomlProtocol("http1"),
            UpstreamProtocol.HTTP1),
        new ProtocolCase("cerebrium sluice protocol h2c", ConfigFormat.CEREBRIUM_TOML, tomlProtocol("h2c"),
            UpstreamProtocol.H2C),
        new ProtocolCase("cerebrium sluice protocol grpc", ConfigFormat.CEREBRIUM_TOML, tomlProtocol("grpc"),
            UpstreamProtocol.GRPC),
        new ProtocolCase("truss speaks http1 by default", ConfigFormat.TRUSS_YAML, YAML_SERVER,
            UpstreamProtocol.HTTP1),
        new ProtocolCase("truss sluice protocol http1", ConfigFormat.TRUSS_YAML, yamlProtocol("http1"),
            UpstreamProtocol.HTTP1),
        new ProtocolCase("truss sluice protocol h2c", ConfigFormat.TRUSS_YAML, yamlProtocol("h2c"),
            UpstreamProtocol.H2C),
        new ProtocolCase("truss sluice protocol grpc", ConfigFormat.TRUSS_YAML, yamlProtocol("grpc"),
            UpstreamProtocol.GRPC),
        new ProtocolCase("truss transport kind grpc is grpc", ConfigFormat.TRUSS_YAML, yamlTransport("grpc"),
            UpstreamProtocol.GRPC),
        new ProtocolCase("truss transport kind http is http1", ConfigFormat.TRUSS_YAML, yamlTransport("http"),
            UpstreamProtocol.HTTP1),
        new ProtocolCase("truss transport kind websocket is http1, which websocket upgrades need",
            ConfigFormat.TRUSS_YAML, yamlTransport("websocket"), UpstreamProtocol.HTTP1),
        new ProtocolCase("truss transport kind and sluice protocol agreeing on grpc", ConfigFormat.TRUSS_YAML,
            yamlTransport("grpc") + yamlProtocolOnly("grpc"), UpstreamProtocol.GRPC),
        new ProtocolCase("truss transport kind websocket and sluice protocol http1 agree", ConfigFormat.TRUSS_YAML,
            yamlTransport("websocket") + yamlProtocolOnly("http1"), UpstreamProtocol.HTTP1),
        new ProtocolCase("truss transport kind http and sluice protocol http1 agree", ConfigFormat.TRUSS_YAML,
            yamlTransport("http") + yamlProtocolOnly("http1"), UpstreamProtocol.HTTP1));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("protocolCases")
  void protocol_is_read_from_sluice_protocol_or_truss_transport_kind(ProtocolCase row) throws ConfigException {
    LoadedApp app = parse(row.format(), row.text());

    assertThat(app.spec().runtime().protocol()).isEqualTo(row.expected());
    assertThat(app.spec().runtime().protocol().http2()).isEqualTo(row.expected() != UpstreamProtocol.HTTP1);
    assertThat(app.ignoredKeys()).isEmpty();
  }

  record WebSocketCase(String name, ConfigFormat format, String text, WebSocketSpec expected) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<WebSocketCase> websocketCases() {
    return Stream.of(
        new WebSocketCase("cerebrium websocket limits default to 300 s idle, no session limit, the node's message "
            + "limit", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME, WebSocketSpec.DEFAULTS),
        new WebSocketCase("truss websocket limits default the same", ConfigFormat.TRUSS_YAML, YAML_SERVER,
            WebSocketSpec.DEFAULTS),
        new WebSocketCase("cerebrium sluice table sets all three", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME + """
            [sluice]
            websocket_idle_timeout = 30
            websocket_max_session = 3600
            websocket_max_message_bytes = 65536
            """, new WebSocketSpec(Duration.ofSeconds(30), Duration.ofHours(1), OptionalLong.of(65536))),
        new WebSocketCase("truss sluice map sets all three", ConfigFormat.TRUSS_YAML, YAML_SERVER + """
            sluice:
              websocket_idle_timeout: 30
              websocket_max_session: 3600
              websocket_max_message_bytes: 65536
            """, new WebSocketSpec(Duration.ofSeconds(30), Duration.ofHours(1), OptionalLong.of(65536))),
        new WebSocketCase("a session limit of zero means none", ConfigFormat.TRUSS_YAML, YAML_SERVER + """
            sluice:
              websocket_max_session: 0
            """, WebSocketSpec.DEFAULTS),
        new WebSocketCase("the smallest message limit is a control frame's 125 bytes", ConfigFormat.CEREBRIUM_TOML,
            TOML_RUNTIME + """
            [sluice]
            websocket_max_message_bytes = 125
            """, new WebSocketSpec(Duration.ofSeconds(300), Duration.ZERO, OptionalLong.of(125))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("websocketCases")
  void websocket_limits_are_read_from_the_sluice_table(WebSocketCase row) throws ConfigException {
    LoadedApp app = parse(row.format(), row.text());

    assertThat(app.spec().websocket()).isEqualTo(row.expected());
    assertThat(app.ignoredKeys()).isEmpty();
  }

  @org.junit.jupiter.api.Test
  void payload_capture_is_off_unless_the_sluice_table_turns_it_on() throws ConfigException {
    assertThat(parse(ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME).spec().capture()).isEqualTo(PayloadCapture.OFF);
    assertThat(parse(ConfigFormat.TRUSS_YAML, YAML_SERVER).spec().capture()).isEqualTo(PayloadCapture.OFF);
    assertThat(parse(ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME + "\n[sluice]\ncapture_payloads = true\n")
        .spec().capture()).isEqualTo(new PayloadCapture(true, PayloadCapture.DEFAULT_MAX_BYTES));
    assertThat(parse(ConfigFormat.TRUSS_YAML, YAML_SERVER
        + "sluice:\n  capture_payloads: true\n  capture_payload_bytes: 1024\n").spec().capture())
        .isEqualTo(new PayloadCapture(true, 1024));
    assertThatThrownBy(() -> parse(ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME
        + "\n[sluice]\ncapture_payloads = true\ncapture_payload_bytes = 100000\n"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("capture_payload_bytes")
        .hasMessageContaining("65536");
  }

  @org.junit.jupiter.api.Test
  void an_apps_message_limit_may_lower_the_nodes_but_not_raise_it() {
    WebSocketSpec app = new WebSocketSpec(Duration.ofSeconds(1), Duration.ZERO, OptionalLong.of(65536));

    assertThat(app.maxMessageBytes(4 << 20)).isEqualTo(65536);
    assertThat(app.maxMessageBytes(1024)).isEqualTo(1024);
    assertThat(WebSocketSpec.DEFAULTS.maxMessageBytes(4 << 20)).isEqualTo(4 << 20);
  }

  private static String tomlProtocol(String value) {
    return TOML_RUNTIME + "\n[sluice]\nprotocol = \"" + value + "\"\n";
  }

  private static String yamlProtocol(String value) {
    return YAML_SERVER + yamlProtocolOnly(value);
  }

  private static String yamlProtocolOnly(String value) {
    return "sluice:\n  protocol: " + value + "\n";
  }

  private static String yamlTransport(String kind) {
    return YAML_SERVER + "runtime:\n  transport:\n    kind: " + kind + "\n";
  }

  static Stream<BadCase> badCases() {
    String bigToml = TOML_RUNTIME + "# " + "x".repeat(ConfigText.MAX_BYTES) + "\n";
    String bigYaml = YAML_SERVER + "# " + "x".repeat(ConfigText.MAX_BYTES) + "\n";
    String aliasBomb = YAML_SERVER + """
        a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
        b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
        c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
        d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
        """;
    String aliasMultiplier = YAML_SERVER + "a: &a [\n" + "  1, 1, 1, 1, 1, 1, 1, 1, 1, 1,\n".repeat(3_000) + "  1]\n"
        + "b: [*a, *a, *a, *a]\n";
    return Stream.of(
        // cerebrium.toml
        bad("cerebrium without a custom runtime", ConfigFormat.CEREBRIUM_TOML, """
            [cerebrium.deployment]
            name = "app"
            """, "[cerebrium.runtime.custom]: missing", "Sluice runs custom runtimes only"),
        bad("cerebrium port missing", ConfigFormat.CEREBRIUM_TOML, """
            [cerebrium.runtime.custom]
            entrypoint = ["python", "server.py"]
            """, "[cerebrium.runtime.custom] port: missing", "expected: an integer 1..65535"),
        bad("cerebrium port out of range", ConfigFormat.CEREBRIUM_TOML, """
            [cerebrium.runtime.custom]
            port = 70000
            entrypoint = ["python", "server.py"]
            """, "cerebrium.toml: [cerebrium.runtime.custom] port = 70000: out of range (expected: 1..65535)"),
        bad("cerebrium port written as a string", ConfigFormat.CEREBRIUM_TOML, """
            [cerebrium.runtime.custom]
            port = "5000"
            entrypoint = ["python", "server.py"]
            """, "[cerebrium.runtime.custom] port = \"5000\": not an integer", "expected: an integer 1..65535"),
        bad("cerebrium empty entrypoint list", ConfigFormat.CEREBRIUM_TOML, """
            [cerebrium.runtime.custom]
            port = 5000
            entrypoint = []
            """, "[cerebrium.runtime.custom] entrypoint = []: empty", "expected: a command as a list of strings"),
        bad("cerebrium blank entrypoint string", ConfigFormat.CEREBRIUM_TOML, """
            [cerebrium.runtime.custom]
            port = 5000
            entrypoint = "  "
            """, "[cerebrium.runtime.custom] entrypoint = \"  \": empty", "or a command line as one string"),
        bad("cerebrium health endpoint without leading slash", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME + """
            healthcheck_endpoint = "health"
            """, "[cerebrium.runtime.custom] healthcheck_endpoint = \"health\": does not start with '/'",
            "expected: a path starting with '/'"),
        bad("cerebrium unknown gpu", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME + """
            [cerebrium.hardware]
            compute = "AMPERE_Z9"
            """, "[cerebrium.hardware] compute = \"AMPERE_Z9\": unknown GPU type",
            "expected: CPU or one of TURING_T4, ADA_L4, AMPERE_A10"),
        bad("cerebrium gpu count on cpu compute", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME + """
            [cerebrium.hardware]
            gpu_count = 2
            """, "[cerebrium.hardware] gpu_count = 2: GPUs asked for, but compute is CPU",
            "expected: 0 or no gpu_count with compute = \"CPU\""),
        bad("cerebrium min replicas above max replicas", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME + """
            [cerebrium.scaling]
            min_replicas = 6
            max_replicas = 2
            """, "[cerebrium.scaling] min_replicas = 6: greater than [cerebrium.scaling] max_replicas = 2",
            "expected: min_replicas <= max_replicas"),
        bad("cerebrium unsupported scaling metric", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME + """
            [cerebrium.scaling]
            scaling_metric = "cpu_utilization"
            """, "[cerebrium.scaling] scaling_metric = \"cpu_utilization\": not supported",
            "expected: concurrency_utilization or requests_per_second"),
        bad("cerebrium concurrency target above one hundred percent", ConfigFormat.CEREBRIUM_TOML,
            TOML_RUNTIME + """
            [cerebrium.scaling]
            scaling_target = 150
            """, "[cerebrium.scaling] scaling_target = 150: out of range (expected: 1..100)"),
        bad("cerebrium invalid app name", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME + """
            [cerebrium.deployment]
            name = "My App"
            """, "[cerebrium.deployment] name = \"My App\": not a valid app name", AppId.NAME_RULE),
        bad("cerebrium disable_auth not a boolean", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME + """
            [cerebrium.deployment]
            disable_auth = "yes"
            """, "[cerebrium.deployment] disable_auth = \"yes\": not a boolean (expected: true or false)"),
        bad("cerebrium cpu not a number", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME + """
            [cerebrium.hardware]
            cpu = "two"
            """, "[cerebrium.hardware] cpu = \"two\": not a number (expected: a number of vCPUs > 0)"),
        bad("cerebrium cooldown not whole seconds", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME + """
            [cerebrium.scaling]
            cooldown = 1.5
            """, "[cerebrium.scaling] cooldown = 1.5: not a whole number of seconds (expected: whole seconds >= 0)"),
        bad("cerebrium zero request timeout", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME + """
            [sluice]
            request_timeout = 0
            """, "[sluice] request_timeout = 0: out of range (expected: whole seconds >= 1)"),
        bad("cerebrium zero websocket idle timeout", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME + """
            [sluice]
            websocket_idle_timeout = 0
            """, "cerebrium.toml: [sluice] websocket_idle_timeout = 0: out of range (expected: whole seconds >= 1)"),
        bad("cerebrium websocket session limit in minutes", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME + """
            [sluice]
            websocket_max_session = "60m"
            """, "[sluice] websocket_max_session = \"60m\": not a whole number of seconds",
            "(expected: whole seconds >= 0)"),
        bad("cerebrium negative websocket session limit", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME + """
            [sluice]
            websocket_max_session = -1
            """, "[sluice] websocket_max_session = -1: out of range (expected: whole seconds >= 0)"),
        bad("cerebrium websocket message limit below a control frame", ConfigFormat.CEREBRIUM_TOML,
            TOML_RUNTIME + """
            [sluice]
            websocket_max_message_bytes = 100
            """, "[sluice] websocket_max_message_bytes = 100: out of range (expected: >= 125)"),
        bad("cerebrium websocket message limit as a size with a unit", ConfigFormat.CEREBRIUM_TOML,
            TOML_RUNTIME + """
            [sluice]
            websocket_max_message_bytes = "1MiB"
            """, "[sluice] websocket_max_message_bytes = \"1MiB\": not an integer (expected: an integer >= 125)"),
        bad("cerebrium unknown protocol", ConfigFormat.CEREBRIUM_TOML, tomlProtocol("http2"),
            "cerebrium.toml: [sluice] protocol = \"http2\": unknown protocol (expected: http1, h2c or grpc)"),
        bad("cerebrium protocol is case-sensitive", ConfigFormat.CEREBRIUM_TOML, tomlProtocol("GRPC"),
            "cerebrium.toml: [sluice] protocol = \"GRPC\": unknown protocol (expected: http1, h2c or grpc)"),
        bad("cerebrium protocol not a string", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME + """
            [sluice]
            protocol = 2
            """, "[sluice] protocol = 2: not a string (expected: http1, h2c or grpc)"),
        bad("cerebrium environment value that is a table", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME + """
            [cerebrium.environment_variables]
            NESTED = { a = 1 }
            """, "[cerebrium.environment_variables] NESTED = {a = 1}: not a string (expected: a string value)"),
        bad("cerebrium runtime that is not a table", ConfigFormat.CEREBRIUM_TOML, """
            [cerebrium]
            runtime = "custom"
            """, "[cerebrium] runtime = \"custom\": not a table (expected: a table)"),
        bad("cerebrium toml syntax error with its line", ConfigFormat.CEREBRIUM_TOML, """
            [cerebrium.runtime.custom]
            port = 5000
            entrypoint = = ["python"]
            """, "cerebrium.toml:3:", "TOML syntax error", "(expected: valid TOML)"),
        bad("cerebrium duplicate key", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME + """
            port = 9000
            """, "cerebrium.toml:", "TOML syntax error: Duplicate key", "(expected: valid TOML)"),
        bad("cerebrium nesting too deep", ConfigFormat.CEREBRIUM_TOML,
            TOML_RUNTIME + "deep = " + "[".repeat(60) + "]".repeat(60) + "\n",
            "cerebrium.toml: Document nesting depth (51) exceeds the maximum allowed (50)",
            "(expected: a file within the parser's limits)"),
        bad("cerebrium file over one mebibyte", ConfigFormat.CEREBRIUM_TOML, bigToml,
            "cerebrium.toml: is larger than 1 MiB; refused before parsing", "at most 1 MiB"),
        // config.yaml
        bad("truss without docker_server", ConfigFormat.TRUSS_YAML, """
            model_name: app
            """, "config.yaml: docker_server: missing", "Sluice runs custom servers only"),
        bad("truss server port missing", ConfigFormat.TRUSS_YAML, """
            docker_server:
              start_command: python server.py
              predict_endpoint: /predict
            """, "config.yaml:1: docker_server.server_port: missing (expected: an integer 1..65535)"),
        bad("truss server port out of range", ConfigFormat.TRUSS_YAML, """
            docker_server:
              start_command: python server.py
              predict_endpoint: /predict
              server_port: 0
            """, "config.yaml:4: docker_server.server_port = 0: out of range (expected: 1..65535)"),
        bad("truss server port written as a string", ConfigFormat.TRUSS_YAML, """
            docker_server:
              start_command: python server.py
              predict_endpoint: /predict
              server_port: "8000"
            """, "config.yaml:4: docker_server.server_port = \"8000\": not an integer",
            "(expected: an integer 1..65535)"),
        bad("truss empty start command", ConfigFormat.TRUSS_YAML, """
            docker_server:
              start_command: ""
              server_port: 8000
              predict_endpoint: /predict
            """, "config.yaml:2: docker_server.start_command = \"\": empty", "(expected: a command line"),
        bad("truss predict endpoint missing", ConfigFormat.TRUSS_YAML, """
            docker_server:
              start_command: python server.py
              server_port: 8000
            """, "config.yaml:1: docker_server.predict_endpoint: missing (expected: a path starting with '/')"),
        bad("truss readiness endpoint without leading slash", ConfigFormat.TRUSS_YAML, YAML_SERVER + """
              readiness_endpoint: health
            """, "config.yaml:5: docker_server.readiness_endpoint = \"health\": does not start with '/'",
            "(expected: a path starting with '/'"),
        bad("truss unknown gpu", ConfigFormat.TRUSS_YAML, YAML_SERVER + """
            resources:
              accelerator: Z100
            """, "config.yaml:6: resources.accelerator = \"Z100\": unknown GPU type",
            "(expected: one of T4, L4, A10G, A10", "optionally with :count"),
        bad("truss gpu count of zero", ConfigFormat.TRUSS_YAML, YAML_SERVER + """
            resources:
              accelerator: H100:0
            """, "resources.accelerator = \"H100:0\": the GPU count after ':' is not an integer >= 1",
            "(expected: TYPE or TYPE:count with count >= 1, e.g. H100:2)"),
        bad("truss use_gpu without accelerator", ConfigFormat.TRUSS_YAML, YAML_SERVER + """
            resources:
              use_gpu: true
            """, "config.yaml:6: resources.use_gpu = true: needs resources.accelerator",
            "(expected: resources.accelerator naming the GPU, e.g. L4, A10G or H100:2)"),
        bad("truss min replica above max replica", ConfigFormat.TRUSS_YAML, YAML_SERVER + """
            autoscaling_settings:
              min_replica: 3
              max_replica: 2
            """,
            "config.yaml:6: autoscaling_settings.min_replica = 3: greater than autoscaling_settings.max_replica = 2",
            "(expected: min_replica <= max_replica)"),
        bad("truss target utilization of zero", ConfigFormat.TRUSS_YAML, YAML_SERVER + """
            autoscaling_settings:
              target_utilization_percentage: 0
            """, "autoscaling_settings.target_utilization_percentage = 0: out of range (expected: 1..100)"),
        bad("truss invalid model name", ConfigFormat.TRUSS_YAML, YAML_SERVER + """
            model_name: Llama 3 8B
            """, "config.yaml:5: model_name = \"Llama 3 8B\": not a valid app name", AppId.NAME_RULE),
        bad("truss memory without a quantity", ConfigFormat.TRUSS_YAML, YAML_SERVER + """
            resources:
              memory: lots
            """, "resources.memory = \"lots\": not a memory quantity", "\"512Mi\", \"2Gi\" or \"16G\""),
        bad("truss memory as a bare small number", ConfigFormat.TRUSS_YAML, YAML_SERVER + """
            resources:
              memory: 16
            """, "resources.memory = 16: less than 1Mi; a number without a unit counts bytes"),
        bad("truss negative cpu", ConfigFormat.TRUSS_YAML, YAML_SERVER + """
            resources:
              cpu: "-1"
            """, "resources.cpu = \"-1\": not a CPU quantity > 0", "e.g. 1, 2.5 or \"500m\""),
        bad("truss secret name that leaves the secrets folder", ConfigFormat.TRUSS_YAML, YAML_SERVER + """
            secrets:
              ../etc/passwd: hunter2
            """, "config.yaml:6: secrets.../etc/passwd: not a valid secret name", "1 to 128 letters"),
        bad("truss predict concurrency of zero", ConfigFormat.TRUSS_YAML, YAML_SERVER + """
            runtime:
              predict_concurrency: 0
            """, "config.yaml:6: runtime.predict_concurrency = 0: out of range (expected: >= 1)"),
        bad("truss zero websocket idle timeout", ConfigFormat.TRUSS_YAML, YAML_SERVER + """
            sluice:
              websocket_idle_timeout: 0
            """, "config.yaml:6: sluice.websocket_idle_timeout = 0: out of range (expected: whole seconds >= 1)"),
        bad("truss websocket message limit over two gibibytes", ConfigFormat.TRUSS_YAML, YAML_SERVER + """
            sluice:
              websocket_max_message_bytes: 4294967296
            """, "config.yaml:6: sluice.websocket_max_message_bytes = 4294967296: out of range (expected: >= 125)"),
        bad("truss unknown sluice protocol", ConfigFormat.TRUSS_YAML, yamlProtocol("http2"),
            "config.yaml:6: sluice.protocol = \"http2\": unknown protocol (expected: http1, h2c or grpc)"),
        bad("truss sluice protocol is case-sensitive", ConfigFormat.TRUSS_YAML, yamlProtocol("H2C"),
            "config.yaml:6: sluice.protocol = \"H2C\": unknown protocol (expected: http1, h2c or grpc)"),
        bad("truss unknown transport kind", ConfigFormat.TRUSS_YAML, yamlTransport("tcp"),
            "config.yaml:7: runtime.transport.kind = \"tcp\": unknown transport (expected: http, websocket or grpc)"),
        bad("truss transport that is not a map", ConfigFormat.TRUSS_YAML, YAML_SERVER + """
            runtime:
              transport: grpc
            """, "config.yaml:6: runtime.transport = \"grpc\": not a map (expected: a map)"),
        bad("truss transport kind grpc and sluice protocol h2c disagree", ConfigFormat.TRUSS_YAML,
            yamlTransport("grpc") + yamlProtocolOnly("h2c"),
            "config.yaml:9: sluice.protocol = \"h2c\": disagrees with runtime.transport.kind = \"grpc\" (expected:"
                + " sluice.protocol = \"grpc\" to agree with it, or only one of the two keys)"),
        bad("truss transport kind websocket and sluice protocol grpc disagree", ConfigFormat.TRUSS_YAML,
            yamlTransport("websocket") + yamlProtocolOnly("grpc"),
            "sluice.protocol = \"grpc\": disagrees with runtime.transport.kind = \"websocket\"",
            "(expected: sluice.protocol = \"http1\" to agree with it, or only one of the two keys)"),
        bad("truss transport kind http and sluice protocol h2c disagree", ConfigFormat.TRUSS_YAML,
            yamlTransport("http") + yamlProtocolOnly("h2c"),
            "sluice.protocol = \"h2c\": disagrees with runtime.transport.kind = \"http\"",
            "(expected: sluice.protocol = \"http1\" to agree with it, or only one of the two keys)"),
        bad("truss yaml syntax error with its line", ConfigFormat.TRUSS_YAML, """
            docker_server:
              start_command: python server.py
             server_port: 8000
            """, "config.yaml:3:", "YAML syntax error: ", "(expected: valid YAML)"),
        bad("truss duplicate key", ConfigFormat.TRUSS_YAML, YAML_SERVER + """
              server_port: 9000
            """, "config.yaml:5: docker_server.server_port: duplicate key (expected: each key once in its map)"),
        bad("truss yaml alias bomb", ConfigFormat.TRUSS_YAML, aliasBomb,
            "config.yaml:7: c: more than 10 YAML aliases (*name) (expected: at most 10 aliases"),
        bad("truss yaml aliases multiplying the document", ConfigFormat.TRUSS_YAML, aliasMultiplier,
            "config.yaml:3007: b: more than 100000 values once aliases are expanded"),
        bad("truss alias of an unknown anchor", ConfigFormat.TRUSS_YAML, YAML_SERVER + """
            environment_variables: *nowhere
            """, "config.yaml:5: environment_variables: alias *nowhere does not refer to a map or list anchored"),
        bad("truss nesting too deep", ConfigFormat.TRUSS_YAML,
            YAML_SERVER + "deep: " + "[".repeat(60) + "]".repeat(60) + "\n",
            "config.yaml:5: deep: nested deeper than 50 levels"),
        bad("truss file that is a list", ConfigFormat.TRUSS_YAML, """
            - docker_server
            """, "config.yaml:1: the file is not a map of keys (expected: a YAML map with docker_server)"),
        bad("truss file over one mebibyte", ConfigFormat.TRUSS_YAML, bigYaml,
            "config.yaml: is larger than 1 MiB; refused before parsing", "at most 1 MiB"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badCases")
  void bad_config_is_refused_naming_file_key_value_and_expectation(BadCase row) {
    assertThatThrownBy(() -> parse(row.format(), row.text()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContainingAll(row.messageParts().toArray(String[]::new))
        .satisfies(e -> assertThat(((ConfigException) e).file()).isEqualTo(Path.of(row.format().fileName())))
        .satisfies(e -> assertThat(e.getMessage().lines()).allMatch(line -> line.startsWith(row.format().fileName())));
  }

  static BadCase bad(String name, ConfigFormat format, String text, String... messageParts) {
    return new BadCase(name, format, text, List.of(messageParts));
  }

  static LoadedApp parse(ConfigFormat format, String text) throws ConfigException {
    Path file = Path.of(format.fileName());
    return format == ConfigFormat.CEREBRIUM_TOML
        ? AppConfigReader.parseCerebrium(text, file, "app")
        : AppConfigReader.parseTruss(text, file, "app");
  }
}

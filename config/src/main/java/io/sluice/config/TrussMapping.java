package io.sluice.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.regex.Pattern;

/** Maps a parsed Truss {@code config.yaml} with {@code docker_server} to an {@link AppSpec}. */
final class TrussMapping {

  private static final double DEFAULT_CPU = 1;
  private static final double DEFAULT_MEMORY_GB = 2;
  private static final int DEFAULT_PREDICT_CONCURRENCY = 1;
  private static final int DEFAULT_MIN_REPLICA = 0;
  private static final int DEFAULT_MAX_REPLICA = 1;
  private static final int DEFAULT_CONCURRENCY_TARGET = 1;
  private static final int DEFAULT_TARGET_UTILIZATION_PERCENT = 70;
  private static final long DEFAULT_AUTOSCALING_WINDOW_SECONDS = 60;
  private static final long DEFAULT_SCALE_DOWN_DELAY_SECONDS = 900;
  private static final Duration RESPONSE_GRACE_PERIOD = Duration.ofSeconds(900);

  /** Secret names become file names under the replica's secrets folder, so nothing that could leave it. */
  private static final Pattern SECRET_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");

  private static final String SECRET_NAME_RULE =
      "1 to 128 letters, digits, '_', '.' or '-', starting with a letter, digit or '_'";
  private static final String START_COMMAND = "a command line, e.g. vllm serve my/model --port 8000";
  private static final String NOT_INSTALLED =
      "Sluice does not install dependencies; install them where the replica runs";
  static final String IMAGE_ON_CLUSTER = "used on Kubernetes only, as the image of the app's pods; local replicas"
      + " run start_command on this machine";
  private static final String CPU_QUANTITY = "a CPU quantity > 0, e.g. 1, 2.5 or \"500m\"";
  private static final String MEMORY_QUANTITY = "a memory quantity of at least 1Mi, e.g. \"512Mi\", \"2Gi\" or \"16G\"";
  private static final double MIN_MEMORY_GB = 1.0 / 1024;

  private TrussMapping() {}

  static LoadedApp map(ConfigTree tree, Path file, String fallbackName) throws ConfigException {
    Findings findings = new Findings();
    ConfigTable root = ConfigTable.root(tree, findings);

    String name = root.appName("model_name", fallbackName);
    UpstreamProtocol protocol = protocol(root);
    RuntimeSpec runtime = runtime(root.table("docker_server"), protocol, findings);
    HardwareSpec hardware = hardware(root.table("resources"), findings);
    int predictConcurrency =
        root.table("runtime").integer("predict_concurrency", DEFAULT_PREDICT_CONCURRENCY, 1, Integer.MAX_VALUE);
    ScalingSpec scaling = scaling(root.table("autoscaling_settings"), predictConcurrency, findings);
    List<String> secretNames = secretNames(root.secretTable("secrets"));
    Map<String, String> env = EnvironmentVariables.read(root.table("environment_variables"));
    root.noticeUnused("requirements", NOT_INSTALLED);
    root.noticeUnused("system_packages",
        "Sluice does not install system packages; install them where the replica runs");
    root.noticeUnused("python_version", "Sluice runs start_command with whatever Python is where the replica runs");
    ContainerSpec built = container(root.table("base_image"), findings);
    Optional<String> observed = SluiceExtension.observedService(root);
    // Null when the container keys have problems: those are reported, and no spec is made.
    ContainerSpec container = built == null ? null : built.observing(observed);
    Duration requestTimeout = SluiceExtension.requestTimeout(root);
    WebSocketSpec websocket = SluiceExtension.websocket(root);
    PayloadCapture capture = SluiceExtension.capture(root);

    root.reportUnknownKeys();
    findings.throwIfAny(file);
    AppSpec spec = new AppSpec(new AppId(AppId.DEFAULT_PROJECT, name), ConfigFormat.TRUSS_YAML, runtime, scaling,
        hardware, env, secretNames, !SluiceExtension.authDisabled(root), requestTimeout,
        websocket, capture, container);
    return findings.loaded(spec, file);
  }

  private static RuntimeSpec runtime(ConfigTable server, UpstreamProtocol protocol, Findings findings) {
    if (!server.exists()) {
      server.missingTable("a docker_server map with start_command, server_port and predict_endpoint;"
          + " Sluice runs custom servers only");
      return null;
    }
    int mark = findings.mark();
    Optional<String> startCommand = server.requiredString("start_command", START_COMMAND);
    int port = server.requiredInteger("server_port", 1, 65535);
    Optional<String> predict = server.requiredEndpoint("predict_endpoint");
    Optional<String> readiness = server.endpoint("readiness_endpoint");
    Optional<String> liveness = server.endpoint("liveness_endpoint");
    if (findings.problemsSince(mark)) {
      return null;
    }
    return new RuntimeSpec(new Command.Shell(startCommand.orElseThrow()), port, liveness, readiness, predict,
        protocol);
  }

  /**
   * Baseten's {@code runtime.transport.kind} or Sluice's {@code sluice.protocol}, whichever the file has; when it has
   * both they must agree. Baseten's key has no h2c value, so only {@code sluice.protocol} can ask for it.
   */
  private static UpstreamProtocol protocol(ConfigTable root) {
    ConfigTable transport = root.table("runtime").table("transport");
    Optional<TransportKind> kind = transportKind(transport);
    Optional<UpstreamProtocol> sluice = SluiceExtension.protocol(root);
    if (kind.isPresent() && sluice.isPresent() && kind.get().protocol() != sluice.get()) {
      ConfigTable extension = root.table("sluice");
      extension.problem("protocol", "disagrees with " + transport.spell("kind") + " = "
              + ValueText.quoted(kind.get().configName()),
          extension.spell("protocol") + " = " + ValueText.quoted(kind.get().protocol().configName())
              + " to agree with it, or only one of the two keys");
    }
    return sluice.or(() -> kind.map(TransportKind::protocol)).orElse(UpstreamProtocol.HTTP1);
  }

  /** Baseten's {@code runtime.transport.kind}; a WebSocket server speaks HTTP/1.1 to be upgraded. */
  private enum TransportKind {
    HTTP("http", UpstreamProtocol.HTTP1),
    WEBSOCKET("websocket", UpstreamProtocol.HTTP1),
    GRPC("grpc", UpstreamProtocol.GRPC);

    static final String NAMES = "http, websocket or grpc";

    private final String configName;
    private final UpstreamProtocol protocol;

    TransportKind(String configName, UpstreamProtocol protocol) {
      this.configName = configName;
      this.protocol = protocol;
    }

    String configName() {
      return configName;
    }

    UpstreamProtocol protocol() {
      return protocol;
    }
  }

  private static Optional<TransportKind> transportKind(ConfigTable transport) {
    Optional<String> name = transport.string("kind", TransportKind.NAMES);
    if (name.isEmpty()) {
      return Optional.empty();
    }
    for (TransportKind kind : TransportKind.values()) {
      if (kind.configName().equals(name.get())) {
        return Optional.of(kind);
      }
    }
    transport.problem("kind", "unknown transport", TransportKind.NAMES);
    return Optional.empty();
  }

  private static HardwareSpec hardware(ConfigTable resources, Findings findings) {
    int mark = findings.mark();
    Optional<Accelerator> accelerator = accelerator(resources);
    JsonNode useGpu = resources.value("use_gpu");
    boolean gpuWanted = resources.bool("use_gpu", false);
    if (gpuWanted && resources.value("accelerator") == null) {
      resources.problem("use_gpu", "needs " + resources.spell("accelerator"),
          resources.spell("accelerator") + " naming the GPU, e.g. L4, A10G or H100:2");
    } else if (useGpu != null && useGpu.isBoolean() && !gpuWanted && accelerator.isPresent()) {
      resources.notice(resources.spell("use_gpu") + " = false was overruled: " + resources.spell("accelerator")
          + " asks for a GPU");
    }
    double cpu = cpu(resources);
    double memory = memory(resources);
    if (findings.problemsSince(mark)) {
      return null;
    }
    return accelerator
        .map(a -> new HardwareSpec(Optional.of(a.type()), a.count(), cpu, memory))
        .orElseGet(() -> new HardwareSpec(Optional.empty(), 0, cpu, memory));
  }

  private record Accelerator(GpuType type, int count) {}

  /** {@code L4}, {@code A10G}, {@code H100:2}: a GPU type and an optional count. */
  private static Optional<Accelerator> accelerator(ConfigTable resources) {
    Optional<String> written = resources.string("accelerator", "a GPU type such as L4, A10G or H100:2");
    if (written.isEmpty()) {
      return Optional.empty();
    }
    String[] typeAndCount = written.get().split(":", -1);
    Optional<GpuType> type = GpuType.fromTruss(typeAndCount[0]);
    if (type.isEmpty()) {
      resources.problem("accelerator", "unknown GPU type",
          "one of " + String.join(", ", GpuType.trussNames()) + ", optionally with :count");
      return Optional.empty();
    }
    if (typeAndCount.length == 1) {
      return Optional.of(new Accelerator(type.get(), 1));
    }
    if (typeAndCount.length == 2 && typeAndCount[1].strip().matches("[0-9]{1,4}")) {
      int count = Integer.parseInt(typeAndCount[1].strip());
      if (count >= 1) {
        return Optional.of(new Accelerator(type.get(), count));
      }
    }
    resources.problem("accelerator", "the GPU count after ':' is not an integer >= 1",
        "TYPE or TYPE:count with count >= 1, e.g. H100:2");
    return Optional.empty();
  }

  private static double cpu(ConfigTable resources) {
    JsonNode value = resources.value("cpu");
    if (value == null) {
      return DEFAULT_CPU;
    }
    OptionalDouble cpus = value.isNumber() ? OptionalDouble.of(value.doubleValue())
        : value.isTextual() ? ResourceQuantity.cpus(value.textValue()) : OptionalDouble.empty();
    if (cpus.isEmpty() || !(cpus.getAsDouble() > 0) || Double.isInfinite(cpus.getAsDouble())) {
      resources.problem("cpu", "not a CPU quantity > 0", CPU_QUANTITY);
      return DEFAULT_CPU;
    }
    return cpus.getAsDouble();
  }

  private static double memory(ConfigTable resources) {
    JsonNode value = resources.value("memory");
    if (value == null) {
      return DEFAULT_MEMORY_GB;
    }
    // A bare number is bytes in Kubernetes; "memory: 16" meaning 16 GB would otherwise become 16 bytes.
    OptionalDouble gigabytes = value.isNumber() ? OptionalDouble.of(value.doubleValue() / ResourceQuantity.BYTES_PER_GB)
        : value.isTextual() ? ResourceQuantity.gigabytes(value.textValue()) : OptionalDouble.empty();
    if (gigabytes.isEmpty() || Double.isInfinite(gigabytes.getAsDouble())) {
      resources.problem("memory", "not a memory quantity", MEMORY_QUANTITY);
      return DEFAULT_MEMORY_GB;
    }
    if (!(gigabytes.getAsDouble() >= MIN_MEMORY_GB)) {
      resources.problem("memory", "less than 1Mi; a number without a unit counts bytes", MEMORY_QUANTITY);
      return DEFAULT_MEMORY_GB;
    }
    return gigabytes.getAsDouble();
  }

  /** Baseten sets these through its API; Sluice reads them from the file, with Baseten's names and defaults. */
  private static ScalingSpec scaling(ConfigTable autoscaling, int predictConcurrency, Findings findings) {
    int mark = findings.mark();
    int minReplicas = autoscaling.integer("min_replica", DEFAULT_MIN_REPLICA, 0, Integer.MAX_VALUE);
    int maxReplicas = autoscaling.integer("max_replica", DEFAULT_MAX_REPLICA, 1, Integer.MAX_VALUE);
    if (!findings.problemsSince(mark) && minReplicas > maxReplicas) {
      autoscaling.problem("min_replica", "greater than " + autoscaling.spell("max_replica") + " = " + maxReplicas,
          "min_replica <= max_replica");
    }
    int concurrencyTarget =
        autoscaling.integer("concurrency_target", DEFAULT_CONCURRENCY_TARGET, 1, Integer.MAX_VALUE);
    int utilizationPercent =
        autoscaling.integer("target_utilization_percentage", DEFAULT_TARGET_UTILIZATION_PERCENT, 1, 100);
    Duration window = autoscaling.seconds("autoscaling_window", DEFAULT_AUTOSCALING_WINDOW_SECONDS, 1);
    Duration scaleDownDelay = autoscaling.seconds("scale_down_delay", DEFAULT_SCALE_DOWN_DELAY_SECONDS, 0);
    if (findings.problemsSince(mark)) {
      return null;
    }
    return new ScalingSpec(minReplicas, maxReplicas, predictConcurrency, ScalingMetric.CONCURRENCY_UTILIZATION,
        concurrencyTarget, utilizationPercent / 100.0, 0, window, scaleDownDelay, RESPONSE_GRACE_PERIOD);
  }

  /** Baseten runs {@code start_command} inside {@code base_image.image}; so do Sluice's pods on a cluster. */
  private static ContainerSpec container(ConfigTable baseImage, Findings findings) {
    int mark = findings.mark();
    Optional<String> image = baseImage.string("image", ImageReference.RULE).filter(written -> !written.isBlank());
    if (image.isPresent() && !ImageReference.valid(image.get())) {
      baseImage.problem("image", "not a container image reference",
          ImageReference.RULE + ", the image in which start_command runs");
    }
    baseImage.noticeUnused("image", IMAGE_ON_CLUSTER);
    if (findings.problemsSince(mark)) {
      return null;
    }
    return new ContainerSpec(image, List.of(), Optional.empty());
  }

  /** The names only: a value written into the file is never kept, shown or logged. */
  private static List<String> secretNames(ConfigTable secrets) {
    List<String> names = new ArrayList<>();
    secrets.entries().forEach((name, value) -> {
      if (!SECRET_NAME.matcher(name).matches()) {
        secrets.problem(name, "not a valid secret name", SECRET_NAME_RULE);
        return;
      }
      names.add(name);
      if (!value.isNull()) {
        secrets.notice(secrets.spell(name) + " has a value in the config file; Sluice ignores it: store the secret"
            + " with `bin/sluice secrets set` and leave null here");
      }
    });
    return names;
  }
}

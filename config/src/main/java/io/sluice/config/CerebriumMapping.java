package io.sluice.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/** Maps a parsed {@code cerebrium.toml} with {@code [cerebrium.runtime.custom]} to an {@link AppSpec}. */
final class CerebriumMapping {

  private static final String CPU_COMPUTE = "CPU";
  private static final double DEFAULT_CPU = 2;
  private static final double DEFAULT_MEMORY_GB = 12;
  private static final int DEFAULT_MIN_REPLICAS = 0;
  private static final int DEFAULT_MAX_REPLICAS = 5;
  private static final long DEFAULT_COOLDOWN_SECONDS = 60;
  private static final int DEFAULT_REPLICA_CONCURRENCY = 1;
  private static final int DEFAULT_CONCURRENCY_TARGET_PERCENT = 100;
  private static final double DEFAULT_REQUESTS_PER_SECOND_TARGET = 10;
  private static final int DEFAULT_SCALING_BUFFER = 0;
  private static final long DEFAULT_RESPONSE_GRACE_PERIOD_SECONDS = 900;
  private static final Duration STABLE_WINDOW = Duration.ofSeconds(60);

  private static final String NO_UPLOAD = "Sluice uploads no files; the replica runs in the app folder";
  private static final String NO_BUILD_STEPS = "Sluice runs no build steps; run them where the replica runs";
  private static final List<UnusedKey> UNUSED_DEPLOYMENT_KEYS = List.of(
      new UnusedKey("include", NO_UPLOAD),
      new UnusedKey("exclude", NO_UPLOAD),
      new UnusedKey("shell_commands", NO_BUILD_STEPS),
      new UnusedKey("pre_build_commands", NO_BUILD_STEPS));
  /** Read for a cluster's pods; a local replica runs on the node's machine, so these notices say where they count. */
  static final String IMAGE_ON_CLUSTER =
      "used on Kubernetes only, as the image of the app's pods; local replicas run the entrypoint on this machine";
  static final String PYTHON_ON_CLUSTER = "used on Kubernetes only, to pick the default image python:<version>-slim-"
      + "bookworm when docker_base_image_url is absent; local replicas use this machine's Python";
  static final String PIP_ON_CLUSTER = "installed on Kubernetes only, into each pod as it starts; local replicas use"
      + " what is installed on this machine";
  private static final String NOT_INSTALLED =
      "Sluice does not install dependencies; install them where the replica runs";
  private static final List<String> UNINSTALLED_DEPENDENCY_TABLES = List.of("apt", "conda");
  /** Cerebrium's python_version values (its TOML reference lists 3.10 to 3.12); later 3.x are let through. */
  private static final Pattern PYTHON_VERSION = Pattern.compile("3\\.(1[0-9]|[89])");
  private static final String PYTHON_VERSION_RULE = "a Python version such as \"3.11\" or \"3.12\"";
  private static final String ENTRYPOINT =
      "a command as a list of strings, e.g. [\"uvicorn\", \"main:app\"], or a command line as one string";

  /** A key Sluice knows but does not act on, and why. */
  private record UnusedKey(String key, String reason) {}

  private CerebriumMapping() {}

  static LoadedApp map(ConfigTree tree, Path file, String fallbackName) throws ConfigException {
    Findings findings = new Findings();
    ConfigTable root = ConfigTable.root(tree, findings);
    ConfigTable cerebrium = root.table("cerebrium");

    ConfigTable deployment = cerebrium.table("deployment");
    String name = deployment.appName("name", fallbackName);
    boolean disableAuth = deployment.bool("disable_auth", false);
    UNUSED_DEPLOYMENT_KEYS.forEach(unused -> deployment.noticeUnused(unused.key(), unused.reason()));

    UpstreamProtocol protocol = SluiceExtension.protocol(root).orElse(UpstreamProtocol.HTTP1);
    RuntimeSpec runtime = runtime(cerebrium.table("runtime"), protocol, findings);
    HardwareSpec hardware = hardware(cerebrium.table("hardware"), findings);
    ScalingSpec scaling = scaling(cerebrium.table("scaling"), findings);
    ContainerSpec built = container(deployment, cerebrium.table("dependencies"), findings);
    Optional<String> observed = SluiceExtension.observedService(root);
    // Null when the container keys have problems: those are reported, and no spec is made.
    ContainerSpec container = built == null ? null : built.observing(observed);
    Map<String, String> env = EnvironmentVariables.read(cerebrium.table("environment_variables"));
    Duration requestTimeout = SluiceExtension.requestTimeout(root);
    WebSocketSpec websocket = SluiceExtension.websocket(root);
    PayloadCapture capture = SluiceExtension.capture(root);

    root.reportUnknownKeys();
    findings.throwIfAny(file);
    AppSpec spec = new AppSpec(new AppId(AppId.DEFAULT_PROJECT, name), ConfigFormat.CEREBRIUM_TOML, runtime, scaling,
        hardware, env, List.of(), !disableAuth && !SluiceExtension.authDisabled(root), requestTimeout,
        websocket, capture, container);
    return findings.loaded(spec, file);
  }

  private static RuntimeSpec runtime(ConfigTable runtime, UpstreamProtocol protocol, Findings findings) {
    ConfigTable custom = runtime.table("custom");
    if (!custom.exists()) {
      custom.missingTable(
          "a " + custom.spelled() + " table with port and entrypoint; Sluice runs custom runtimes only");
      return null;
    }
    int mark = findings.mark();
    int port = custom.requiredInteger("port", 1, 65535);
    Optional<Command> command = entrypoint(custom);
    Optional<String> health = custom.endpoint("healthcheck_endpoint");
    Optional<String> ready = custom.endpoint("readycheck_endpoint");
    if (findings.problemsSince(mark)) {
      return null;
    }
    return new RuntimeSpec(command.orElseThrow(), port, health, ready, Optional.empty(), protocol);
  }

  private static Optional<Command> entrypoint(ConfigTable custom) {
    JsonNode value = custom.value("entrypoint");
    if (value == null) {
      custom.missing("entrypoint", ENTRYPOINT);
      return Optional.empty();
    }
    if (value.isTextual()) {
      if (value.textValue().isBlank()) {
        custom.problem("entrypoint", "empty", ENTRYPOINT);
        return Optional.empty();
      }
      return Optional.of(new Command.Shell(value.textValue()));
    }
    if (!value.isArray()) {
      custom.problem("entrypoint", "not a list of strings or a string", ENTRYPOINT);
      return Optional.empty();
    }
    List<String> argv = new ArrayList<>();
    for (JsonNode element : value) {
      if (!element.isTextual()) {
        custom.problem("entrypoint", "holds something other than strings", ENTRYPOINT);
        return Optional.empty();
      }
      argv.add(element.textValue());
    }
    if (argv.isEmpty() || argv.get(0).isBlank()) {
      custom.problem("entrypoint", argv.isEmpty() ? "empty" : "starts with an empty program name", ENTRYPOINT);
      return Optional.empty();
    }
    return Optional.of(new Command.Exec(argv));
  }

  private static HardwareSpec hardware(ConfigTable hardware, Findings findings) {
    int mark = findings.mark();
    String compute = hardware.string("compute", "\"CPU\" or a GPU type such as \"ADA_L4\"").orElse(CPU_COMPUTE);
    boolean cpuOnly = compute.strip().equalsIgnoreCase(CPU_COMPUTE);
    Optional<GpuType> gpu = cpuOnly ? Optional.empty() : GpuType.fromCerebrium(compute);
    if (!cpuOnly && gpu.isEmpty()) {
      hardware.problem("compute", "unknown GPU type",
          CPU_COMPUTE + " or one of " + String.join(", ", GpuType.cerebriumNames()));
    }
    Optional<Integer> gpuCount = hardware.optionalInteger("gpu_count", 0, Integer.MAX_VALUE);
    if (cpuOnly && gpuCount.filter(count -> count != 0).isPresent()) {
      hardware.problem("gpu_count", "GPUs asked for, but compute is " + CPU_COMPUTE,
          "0 or no gpu_count with compute = \"" + CPU_COMPUTE + "\", or compute set to a GPU type");
    } else if (!cpuOnly && gpuCount.filter(count -> count < 1).isPresent()) {
      hardware.problem("gpu_count", "out of range", ">= 1 with compute = " + ValueText.quoted(ValueText.cut(compute)));
    }
    double cpu = hardware.positiveNumber("cpu", DEFAULT_CPU, "a number of vCPUs > 0");
    double memory = hardware.positiveNumber("memory", DEFAULT_MEMORY_GB, "a number of GB > 0");
    hardware.noticeUnused("provider", "replicas run on this Sluice fleet's own machines");
    hardware.noticeUnused("region", "replicas run on this Sluice fleet's own machines");
    if (findings.problemsSince(mark)) {
      return null;
    }
    return new HardwareSpec(gpu, gpu.isEmpty() ? 0 : gpuCount.orElse(1), cpu, memory);
  }

  private static ScalingSpec scaling(ConfigTable scaling, Findings findings) {
    int mark = findings.mark();
    int minReplicas = scaling.integer("min_replicas", DEFAULT_MIN_REPLICAS, 0, Integer.MAX_VALUE);
    int maxReplicas = scaling.integer("max_replicas", DEFAULT_MAX_REPLICAS, 1, Integer.MAX_VALUE);
    if (!findings.problemsSince(mark) && minReplicas > maxReplicas) {
      scaling.problem("min_replicas", "greater than " + scaling.spell("max_replicas") + " = " + maxReplicas,
          "min_replicas <= max_replicas");
    }
    Duration cooldown = scaling.seconds("cooldown", DEFAULT_COOLDOWN_SECONDS, 0);
    int replicaConcurrency =
        scaling.integer("replica_concurrency", DEFAULT_REPLICA_CONCURRENCY, 1, Integer.MAX_VALUE);
    Optional<ScalingMetric> metric = metric(scaling);
    Target target = metric.map(m -> target(scaling, m, replicaConcurrency)).orElse(Target.UNKNOWN);
    int buffer = scaling.integer("scaling_buffer", DEFAULT_SCALING_BUFFER, 0, Integer.MAX_VALUE);
    Duration gracePeriod = scaling.seconds("response_grace_period", DEFAULT_RESPONSE_GRACE_PERIOD_SECONDS, 0);
    if (findings.problemsSince(mark)) {
      return null;
    }
    return new ScalingSpec(minReplicas, maxReplicas, replicaConcurrency, metric.orElseThrow(), target.perReplica(),
        target.utilization(), buffer, STABLE_WINDOW, cooldown, gracePeriod);
  }

  /** What {@code scaling_target} means depends on the metric: a percentage of concurrency, or requests per second. */
  private record Target(double perReplica, double utilization) {
    static final Target UNKNOWN = new Target(1, 1);
  }

  private static Target target(ConfigTable scaling, ScalingMetric metric, int replicaConcurrency) {
    return switch (metric) {
      case CONCURRENCY_UTILIZATION -> {
        int percent = scaling.integer("scaling_target", DEFAULT_CONCURRENCY_TARGET_PERCENT, 1, 100);
        yield new Target(replicaConcurrency, percent / 100.0);
      }
      case REQUESTS_PER_SECOND -> new Target(scaling.positiveNumber("scaling_target",
          DEFAULT_REQUESTS_PER_SECOND_TARGET, "requests per second per replica > 0"), 1);
    };
  }

  private static Optional<ScalingMetric> metric(ConfigTable scaling) {
    if (scaling.value("scaling_metric") == null) {
      return Optional.of(ScalingMetric.CONCURRENCY_UTILIZATION);
    }
    Optional<String> name = scaling.string("scaling_metric", supportedMetrics());
    for (ScalingMetric metric : ScalingMetric.values()) {
      if (name.filter(metric.configName()::equals).isPresent()) {
        return Optional.of(metric);
      }
    }
    if (name.isPresent()) {
      scaling.problem("scaling_metric", "not supported", supportedMetrics());
    }
    return Optional.empty();
  }

  private static String supportedMetrics() {
    return ScalingMetric.CONCURRENCY_UTILIZATION.configName() + " or " + ScalingMetric.REQUESTS_PER_SECOND.configName();
  }

  /** The image, Python and pip packages a cluster's pods get; absent keys are Sluice's defaults, chosen there. */
  private static ContainerSpec container(ConfigTable deployment, ConfigTable dependencies, Findings findings) {
    int mark = findings.mark();
    Optional<String> image = deployment.string("docker_base_image_url", ImageReference.RULE)
        .filter(written -> !written.isBlank());
    if (image.isPresent() && !ImageReference.valid(image.get())) {
      deployment.problem("docker_base_image_url", "not a container image reference",
          ImageReference.RULE + ", or no docker_base_image_url for Cerebrium's default Debian image with Python");
    }
    Optional<String> python = deployment.string("python_version", PYTHON_VERSION_RULE)
        .filter(written -> !written.isBlank());
    if (python.isPresent() && !PYTHON_VERSION.matcher(python.get().strip()).matches()) {
      deployment.problem("python_version", "not a Python 3 version", PYTHON_VERSION_RULE);
    }
    deployment.noticeUnused("docker_base_image_url", IMAGE_ON_CLUSTER);
    deployment.noticeUnused("python_version", PYTHON_ON_CLUSTER);
    List<String> requirements = pipRequirements(dependencies.table("pip"));
    for (String manager : UNINSTALLED_DEPENDENCY_TABLES) {
      dependencies.noticeUnused(manager, NOT_INSTALLED);
    }
    ConfigTable paths = dependencies.table("paths");
    List<String> files = new ArrayList<>();
    paths.entries().forEach(
        (manager, file) -> files.add(ValueText.of(file) + " (" + ValueText.readable(manager) + ")"));
    if (!files.isEmpty()) {
      paths.notice(paths.spelled() + " names " + String.join(", ", files) + ": " + NOT_INSTALLED);
    }
    if (findings.problemsSince(mark)) {
      return null;
    }
    return new ContainerSpec(image, requirements, python.map(String::strip));
  }

  /** {@code name = "version spec"} entries as pip requirement lines, in file order. */
  private static List<String> pipRequirements(ConfigTable pip) {
    List<String> lines = new ArrayList<>();
    pip.entries().forEach((name, spec) -> {
      if (!PipRequirement.validName(name)) {
        pip.problem(name, "not a pip package name", PipRequirement.NAME_RULE);
        return;
      }
      if (!spec.isTextual()) {
        pip.problem(name, "not a string", PipRequirement.SPEC_RULE);
        return;
      }
      Optional<String> line = PipRequirement.line(name, spec.textValue());
      if (line.isEmpty()) {
        pip.problem(name, "not a version spec pip understands", PipRequirement.SPEC_RULE);
        return;
      }
      lines.add(line.get());
    });
    if (!lines.isEmpty()) {
      pip.notice(pip.spelled() + " lists " + String.join(", ", pip.entries().keySet().stream()
          .map(ValueText::readable).toList()) + ": " + PIP_ON_CLUSTER);
    }
    return lines;
  }
}

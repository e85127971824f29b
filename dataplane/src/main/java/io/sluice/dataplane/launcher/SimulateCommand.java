package io.sluice.dataplane.launcher;

import io.sluice.autoscaler.simulate.DefaultSetup;
import io.sluice.autoscaler.simulate.ReplicaChartSvg;
import io.sluice.autoscaler.simulate.ServiceTimeModel;
import io.sluice.autoscaler.simulate.SimulatedPolicy;
import io.sluice.autoscaler.simulate.SimulationReport;
import io.sluice.autoscaler.simulate.SimulationResult;
import io.sluice.autoscaler.simulate.SimulationSetup;
import io.sluice.autoscaler.simulate.Simulator;
import io.sluice.autoscaler.simulate.TimelineCsv;
import io.sluice.autoscaler.simulate.Trace;
import io.sluice.autoscaler.simulate.TraceFormat;
import io.sluice.autoscaler.simulate.TraceOptions;
import io.sluice.autoscaler.simulate.TraceReaders;
import io.sluice.config.AppConfigReader;
import io.sluice.config.AppSpec;
import io.sluice.config.ConfigException;
import io.sluice.config.NodeConfigReader;
import io.sluice.config.NodePoolSpec;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code sluice simulate}: replays a request trace through the decision core and the capacity model, once per policy,
 * and prints cold-start waits and GPU-seconds side by side; writes the replica/queue timeline as CSV and as an SVG
 * chart. Needs no node: everything runs in this process, on simulated time.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Replay a request trace through Sluice's decision core and capacity model, once per policy, and compare "
            + "cold-start waits, wait percentiles and GPU-seconds.",
        "Traces: a CSV 'arrival_seconds,app,service_seconds'; the Azure LLM inference trace 2023 "
            + "(TIMESTAMP,ContextTokens,GeneratedTokens; service times from a stated token model); the Azure "
            + "Functions 2019 per-minute invocation counts (HashOwner,HashApp,HashFunction,Trigger,1..1440)."},
    footer = {"", "Example, from the checkout:",
        "  bin/sluice simulate --trace ../shared/traces/AzureLLMInferenceTrace_conv.csv"})
final class SimulateCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--trace", required = true, paramLabel = "FILE", description = "The trace to replay.")
  Path trace;

  @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "auto",
      description = "auto (from the header line), csv, azure-llm or azure-functions (default: ${DEFAULT-VALUE}).")
  String format;

  @Option(names = "--app", paramLabel = "DIR",
      description = "An app folder (cerebrium.toml or config.yaml) whose scaling knobs and hardware are used "
          + "(default: a built-in vLLM app on one L4, replica_concurrency 8, min 0, max 8).")
  Path app;

  @Option(names = "--pools", paramLabel = "FILE",
      description = "A sluice.toml with [[pools]] (default: one pool of the app's GPU, min 0, max 8 nodes, "
          + "provision 60 s, released after 300 s idle).")
  Path pools;

  @Option(names = "--startup", paramLabel = "DURATION", defaultValue = "30s", converter = DurationConverter.class,
      description = "How long a replica takes from being started on a node to being ready: 30s, 2m, PT45S "
          + "(default: ${DEFAULT-VALUE}).")
  Duration startup;

  @Option(names = "--policies", paramLabel = "LIST", defaultValue = "knative,sluice,max,min",
      description = "Policies to replay, comma-separated: knative, sluice, and the baselines max (max_replicas "
          + "always) and min (max(min_replicas,1) always) (default: ${DEFAULT-VALUE}).")
  String policies;

  @Option(names = "--out", paramLabel = "DIR",
      description = "Where to write timeline.csv and replicas.svg (default: a folder under the system's temporary "
          + "directory, printed).")
  Path out;

  @Option(names = "--speedup", paramLabel = "FACTOR", defaultValue = "1",
      description = "Time compression: replay arrivals at 1/FACTOR of their recorded times (service times "
          + "unchanged); printed as a scaled replay (default: ${DEFAULT-VALUE}).")
  double speedup;

  @Option(names = "--split-apps", paramLabel = "N", defaultValue = "1",
      description = "Make N apps of a single-app trace; printed as a split or shifted replay (default: "
          + "${DEFAULT-VALUE}).")
  int splitApps;

  @Option(names = "--split", paramLabel = "HOW", defaultValue = "round-robin",
      description = "How --split-apps shares the trace out: round-robin (request i to app i mod N) or offset (every "
          + "app the whole trace, app k shifted by k x span/N) (default: ${DEFAULT-VALUE}).")
  String split;

  @Option(names = "--prefill-ms", paramLabel = "MS",
      description = "Azure LLM trace: prefill milliseconds per context token (with --decode-ms and --overhead-ms "
          + "replaces the default model, DistServe's OPT-13B on A100 profile).")
  Double prefillMs;

  @Option(names = "--decode-ms", paramLabel = "MS", description = "Azure LLM trace: milliseconds per generated token.")
  Double decodeMs;

  @Option(names = "--overhead-ms", paramLabel = "MS", description = "Azure LLM trace: fixed milliseconds per request.")
  Double overheadMs;

  @Option(names = "--durations", paramLabel = "FILE",
      description = "Azure Functions trace: the durations file of the same day; each function's Average (ms) "
          + "becomes its service time.")
  Path durations;

  @Option(names = "--service", paramLabel = "DURATION", defaultValue = "1s", converter = DurationConverter.class,
      description = "Azure Functions trace: the service time of functions without a duration (default: "
          + "${DEFAULT-VALUE}).")
  Duration service;

  @Option(names = "--only-app", paramLabel = "NAME",
      description = "Replay only this app's requests (a HashApp of the Functions trace, or the app column of a CSV).")
  String onlyApp;

  @Option(names = "--seed", paramLabel = "N", defaultValue = "1",
      description = "Seeds the spreading of per-minute counts within their minute (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--timeline-step", paramLabel = "DURATION", defaultValue = "2s", converter = DurationConverter.class,
      description = "A timeline row per app every DURATION, a multiple of the 2 s tick (default: ${DEFAULT-VALUE}).")
  Duration timelineStep;

  @Override
  public Integer call() throws Exception {
    PrintWriter stdout = spec.commandLine().getOut();
    long began = System.nanoTime();
    Trace replayed = TraceReaders.read(trace, traceOptions());
    long read = System.nanoTime();

    SimulationSetup setup = setup();
    List<SimulationResult> results = new ArrayList<>();
    for (SimulatedPolicy policy : policies()) {
      try {
        results.add(Simulator.run(replayed, setup, policy));
      } catch (IllegalArgumentException e) {
        throw new CommandFailed(e.getMessage());
      }
    }
    long simulated = System.nanoTime();

    Path folder = out != null ? out : defaultOut();
    Path csv = folder.resolve("timeline.csv");
    Path svg = folder.resolve("replicas.svg");
    TimelineCsv.write(csv, replayed, results);
    ReplicaChartSvg.write(svg, replayed, results);

    stdout.print(SimulationReport.render(replayed, setup, results));
    stdout.println();
    stdout.printf(Locale.ROOT, "Timeline: %s%n", csv);
    stdout.printf(Locale.ROOT, "Chart:    %s%n", svg);
    stdout.printf(Locale.ROOT, "Read the trace in %.2f s; replayed %d policies in %.2f s.%n", (read - began) / 1e9,
        results.size(), (simulated - read) / 1e9);
    stdout.flush();
    return 0;
  }

  private TraceOptions traceOptions() {
    TraceOptions options = TraceOptions.defaults().withSeed(seed).withDefaultService(service);
    try {
      if (!format.equalsIgnoreCase("auto")) {
        options = options.withFormat(TraceFormat.parse(format));
      }
      options = options.withSpeedup(speedup).withApps(splitApps, TraceOptions.Split.parse(split));
    } catch (IllegalArgumentException e) {
      throw new CommandFailed(e.getMessage());
    }
    if (prefillMs != null || decodeMs != null || overheadMs != null) {
      if (prefillMs == null || decodeMs == null) {
        throw new CommandFailed("--prefill-ms and --decode-ms go together (expected: both, and --overhead-ms if any)");
      }
      try {
        options = options.withServiceModel(
            ServiceTimeModel.given(prefillMs, decodeMs, overheadMs == null ? 0 : overheadMs));
      } catch (IllegalArgumentException e) {
        throw new CommandFailed(e.getMessage());
      }
    }
    if (durations != null) {
      options = options.withDurations(durations);
    }
    if (onlyApp != null) {
      options = options.withOnlyApp(onlyApp);
    }
    return options;
  }

  private SimulationSetup setup() {
    AppSpec appSpec;
    String appSource;
    if (app == null) {
      appSpec = DefaultSetup.app();
      appSource = DefaultSetup.APP_SOURCE;
    } else {
      try {
        var loaded = AppConfigReader.read(app);
        appSpec = loaded.spec();
        appSource = "from " + loaded.configFile();
      } catch (ConfigException e) {
        throw new CommandFailed(e.getMessage());
      }
    }
    List<NodePoolSpec> nodePools;
    String poolsSource;
    if (pools == null) {
      nodePools = DefaultSetup.poolsFor(appSpec);
      poolsSource = DefaultSetup.poolsSource(nodePools);
    } else {
      try {
        nodePools = NodeConfigReader.read(pools);
      } catch (ConfigException e) {
        throw new CommandFailed(e.getMessage());
      }
      poolsSource = "from " + pools + ": " + String.join("; ", nodePools.stream()
          .map(pool -> pool.describe() + ", min " + pool.minNodes() + ", max " + pool.maxNodes() + " nodes, provision "
              + pool.provisionTime().toSeconds() + " s, released after " + pool.idleNodeDelay().toSeconds()
              + " s idle")
          .toList());
    }
    try {
      return SimulationSetup.of(appSpec, appSource, startup, nodePools, poolsSource).withTimelineStep(timelineStep);
    } catch (IllegalArgumentException e) {
      throw new CommandFailed(e.getMessage());
    }
  }

  private List<SimulatedPolicy> policies() {
    Set<SimulatedPolicy> chosen = new LinkedHashSet<>();
    for (String name : policies.split(",")) {
      if (name.isBlank()) {
        continue;
      }
      try {
        chosen.add(SimulatedPolicy.parse(name));
      } catch (IllegalArgumentException e) {
        throw new CommandFailed("--policies: " + e.getMessage());
      }
    }
    if (chosen.isEmpty()) {
      throw new CommandFailed("--policies: " + policies + " (expected: at least one of knative, sluice, max, min)");
    }
    return List.copyOf(chosen);
  }

  private Path defaultOut() {
    String name = trace.getFileName().toString().replaceAll("\\.[^.]*$", "").replaceAll("[^A-Za-z0-9._-]", "_");
    return Path.of(System.getProperty("java.io.tmpdir"), "sluice-simulate", name);
  }

  /** {@code 30s}, {@code 2m}, {@code 1h}, {@code 250ms}, a bare number of seconds, or ISO-8601 ({@code PT30S}). */
  static final class DurationConverter implements ITypeConverter<Duration> {

    @Override
    public Duration convert(String value) {
      String text = value.trim().toLowerCase(Locale.ROOT);
      try {
        if (text.startsWith("pt") || text.startsWith("p")) {
          return Duration.parse(value.trim().toUpperCase(Locale.ROOT));
        }
        if (text.endsWith("ms")) {
          return Duration.ofNanos(Math.round(Double.parseDouble(text.substring(0, text.length() - 2)) * 1e6));
        }
        double seconds;
        if (text.endsWith("s")) {
          seconds = Double.parseDouble(text.substring(0, text.length() - 1));
        } else if (text.endsWith("m")) {
          seconds = Double.parseDouble(text.substring(0, text.length() - 1)) * 60;
        } else if (text.endsWith("h")) {
          seconds = Double.parseDouble(text.substring(0, text.length() - 1)) * 3600;
        } else {
          seconds = Double.parseDouble(text);
        }
        if (!(seconds >= 0) || Double.isInfinite(seconds)) {
          throw new NumberFormatException(value);
        }
        return Duration.ofNanos(Math.round(seconds * 1e9));
      } catch (NumberFormatException | DateTimeParseException e) {
        throw new TypeConversionException(value + " (expected: a duration such as 30s, 2m, 1h, 250ms or PT30S)");
      }
    }
  }
}

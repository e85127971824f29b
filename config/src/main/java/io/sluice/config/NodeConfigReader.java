package io.sluice.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Reads a Sluice node's {@code sluice.toml}: the node pools it places replicas on, the limits of its public port
 * ({@code [limits]}, see {@link ClientLimits}) and the JWT issuers it trusts ({@code [auth]}, see {@link AuthSpec}).
 * Every table is optional but the file must hold one; without {@code [[pools]]} the node has its default pools.
 * <pre>{@code
 * [limits]
 * max_body_bytes = 104857600        # and the other ClientLimits, in bytes, counts and whole seconds
 * header_timeout_seconds = 10
 *
 * [auth]
 * jwt_audience = "sluice"           # default
 * jwt_issuer = "https://issuer"     # default: any
 * [[auth.jwt_keys]]
 * algorithm = "RS256"
 * file = "keys/issuer.pem"          # relative to this file; for HS* the file holds the shared secret
 * }</pre>
 *
 * <p>The pools:
 * <pre>{@code
 * [[pools]]
 * name = "cpu"
 * max_nodes = 4
 * cpus_per_node = 16
 *
 * [[pools]]
 * name = "l4"
 * gpu = "L4"            # or "ADA_L4": Truss and Cerebrium names are both accepted
 * gpus_per_node = 2     # default 1
 * min_nodes = 0         # default 0
 * max_nodes = 4         # required
 * provision_seconds = 90    # default 60
 * idle_node_seconds = 300   # default 300
 * # Kubernetes only: where the pool's pods land (see PoolPlacement). Both default to none.
 * node_selector = { "cloud.google.com/gke-accelerator" = "nvidia-l4" }
 * tolerations = [ { key = "nvidia.com/gpu", operator = "Exists", effect = "NoSchedule" } ]
 * }</pre>
 *
 * <p>A toleration is written as Kubernetes writes one: {@code key}, {@code operator} ({@code "Equal"}, the default,
 * or {@code "Exists"}), {@code value} (with {@code Equal} only) and {@code effect} ({@code "NoSchedule"},
 * {@code "PreferNoSchedule"}, {@code "NoExecute"}, or {@code ""}, the default, for every effect).
 *
 * <p>A pool without {@code gpu} is a CPU pool. There is at most one pool per GPU model and at most one CPU pool, so
 * that every app has exactly one pool it can run in. Unlike the app readers, which tolerate keys of other platforms,
 * this file is Sluice's own: an unknown key is a problem (a misspelt {@code provison_seconds} must not silently
 * become the default). Every problem is reported at once, naming the file, the key as {@code [[pools]] #2 max_nodes}
 * (pools counted from 1 in file order), the value and what would be right.
 */
public final class NodeConfigReader {

  public static final String FILE_NAME = "sluice.toml";

  static final int DEFAULT_GPUS_PER_NODE = 1;
  static final int DEFAULT_MIN_NODES = 0;
  static final long DEFAULT_PROVISION_SECONDS = 60;
  static final long DEFAULT_IDLE_NODE_SECONDS = 300;

  private static final String POOLS = "pools";
  private static final String LIMITS = "limits";
  private static final String AUTH = "auth";
  private static final List<String> ROOT_KEYS = List.of(POOLS, LIMITS, AUTH);
  private static final List<String> LIMIT_KEYS = List.of("max_request_line_bytes", "max_header_bytes",
      "max_header_count", "max_body_bytes", "header_timeout_seconds", "body_idle_timeout_seconds",
      "min_body_bytes_per_second", "keep_alive_timeout_seconds", "max_connections", "max_websocket_message_bytes");
  private static final List<String> AUTH_KEYS = List.of("jwt_audience", "jwt_issuer", "jwt_keys");
  private static final List<String> JWT_KEY_KEYS = List.of("algorithm", "file");
  private static final String POOLS_HEADER = "[[pools]]";
  private static final String CPU = "CPU";
  private static final List<String> POOL_KEYS = List.of("name", "gpu", "gpus_per_node", "min_nodes", "max_nodes",
      "provision_seconds", "idle_node_seconds", "cpus_per_node", "memory_gb_per_node", "node_selector", "tolerations");
  private static final List<String> TOLERATION_KEYS = List.of("key", "operator", "value", "effect");
  private static final String TOLERATION =
      "{ key = \"nvidia.com/gpu\", operator = \"Exists\", effect = \"NoSchedule\" }";
  private static final String OPERATORS = "\"Equal\" (the default) or \"Exists\"";
  private static final String EFFECTS = "\"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\", or \"\" for every effect";
  private static final String ONE_POOL_EACH = "one pool per GPU type and at most one CPU pool";

  private NodeConfigReader() {}

  /**
   * The pools of a node started without a {@code sluice.toml}: one machine, the one Sluice runs on.
   *
   * <p>That is a single CPU pool {@code local} with one node that is always there ({@code min_nodes = max_nodes = 1},
   * ready at once) and no vCPU or memory limit, so CPU apps are never held back by the capacity model; the machine's
   * own limits are the operating system's business. There are no GPU pools: Sluice does not guess what GPUs a
   * machine has. A GPU app deployed on such a node stays pending with the reason
   * {@code no node pool has L4 GPUs}; to run it, declare this machine's GPUs in a {@code sluice.toml}, e.g.
   * {@code [[pools]] name = "gpu", gpu = "L4", min_nodes = 1, max_nodes = 1, provision_seconds = 0}.
   */
  public static List<NodePoolSpec> defaultPools() {
    return List.of(new NodePoolSpec("local", Optional.empty(), 0, 1, 1, Duration.ZERO, Duration.ZERO));
  }

  public static List<NodePoolSpec> read(Path sluiceToml) throws ConfigException {
    return readNode(sluiceToml).pools();
  }

  /** The whole file: pools, limits and auth. */
  public static NodeConfig readNode(Path sluiceToml) throws ConfigException {
    Objects.requireNonNull(sluiceToml, "sluiceToml");
    return parseNode(ConfigText.read(sluiceToml), sluiceToml);
  }

  /**
   * Reads {@code sluice.toml} text.
   *
   * @param nameForMessages the file named in problems
   */
  public static List<NodePoolSpec> parse(String text, Path nameForMessages) throws ConfigException {
    return parseNode(text, nameForMessages).pools();
  }

  /** As {@link #parse}, the whole file; relative key files are resolved against {@code nameForMessages}' folder. */
  public static NodeConfig parseNode(String text, Path nameForMessages) throws ConfigException {
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(nameForMessages, "nameForMessages");
    ConfigText.requireWithinLimit(text, nameForMessages);
    ConfigTree tree = TomlTreeParser.parse(text, nameForMessages);
    List<ConfigProblem> problems = new ArrayList<>();
    List<NodePoolSpec> pools = new ArrayList<>();
    Map<String, PoolPlacement> placements = new HashMap<>();

    tree.root().fieldNames().forEachRemaining(key -> {
      if (!ROOT_KEYS.contains(key)) {
        problems.add(new ConfigProblem(KeySpelling.TOML.key(List.of(), key), ValueText.of(tree.root().get(key)),
            "unknown key", POOLS_HEADER + ", [" + LIMITS + "] and [" + AUTH + "] tables only", 0));
      }
    });
    Findings findings = new Findings();
    ConfigTable root = ConfigTable.root(tree, findings);
    ClientLimits limits = limits(root.table(LIMITS), findings);
    List<ConfigProblem> keyProblems = new ArrayList<>();
    AuthSpec auth = auth(root.table(AUTH), nameForMessages, keyProblems);
    problems.addAll(problemsOf(findings, nameForMessages));
    problems.addAll(keyProblems);
    JsonNode poolsNode = tree.root().get(POOLS);
    boolean otherTables = tree.root().has(LIMITS) || tree.root().has(AUTH);
    if (poolsNode == null && otherTables) {
      pools.addAll(defaultPools());
    } else if (poolsNode == null || (poolsNode.isArray() && poolsNode.isEmpty())) {
      problems.add(new ConfigProblem(POOLS_HEADER, null, "missing",
          "at least one " + POOLS_HEADER + " table with name and max_nodes", 0));
    } else if (poolsNode.isObject()) {
      problems.add(new ConfigProblem("[pools]", null, "a single table",
          POOLS_HEADER + " tables, written with double brackets", 0));
    } else if (!poolsNode.isArray()) {
      problems.add(new ConfigProblem(POOLS, ValueText.of(poolsNode), "not an array of tables",
          POOLS_HEADER + " tables", 0));
    } else {
      readPools(poolsNode, nameForMessages, problems, pools, placements);
    }

    if (!problems.isEmpty()) {
      throw new ConfigException(nameForMessages, problems);
    }
    return new NodeConfig(pools, limits, auth, placements);
  }

  private static ClientLimits limits(ConfigTable table, Findings findings) {
    ClientLimits defaults = ClientLimits.defaults();
    if (!table.exists()) {
      return defaults;
    }
    unknownKeys(table, LIMIT_KEYS);
    int mark = findings.mark();
    ClientLimits read = new ClientLimits(
        table.integer("max_request_line_bytes", defaults.maxRequestLineBytes(), 256, 1 << 20),
        table.integer("max_header_bytes", defaults.maxHeaderBytes(), 1024, 1 << 20),
        table.integer("max_header_count", defaults.maxHeaderCount(), 8, 10_000),
        table.integer("max_body_bytes", (int) defaults.maxBodyBytes(), 0, Integer.MAX_VALUE),
        table.seconds("header_timeout_seconds", defaults.headerTimeout().toSeconds(), 1),
        table.seconds("body_idle_timeout_seconds", defaults.bodyIdleTimeout().toSeconds(), 1),
        table.integer("min_body_bytes_per_second", (int) defaults.minBodyBytesPerSecond(), 0, Integer.MAX_VALUE),
        table.seconds("keep_alive_timeout_seconds", defaults.keepAliveTimeout().toSeconds(), 1),
        table.integer("max_connections", defaults.maxConnections(), 1, 1_000_000),
        table.integer("max_websocket_message_bytes", (int) defaults.maxWebSocketMessageBytes(), 125,
            Integer.MAX_VALUE));
    return findings.problemsSince(mark) ? defaults : read;
  }

  private static AuthSpec auth(ConfigTable table, Path file, List<ConfigProblem> keyProblems) {
    if (!table.exists()) {
      return AuthSpec.defaults();
    }
    unknownKeys(table, AUTH_KEYS);
    String audience = table.string("jwt_audience", "the audience tokens must name, e.g. \"sluice\"")
        .orElse(AuthSpec.DEFAULT_AUDIENCE);
    Optional<String> issuer = table.string("jwt_issuer", "the issuer tokens must name");
    List<AuthSpec.JwtKeySpec> keys = new ArrayList<>();
    JsonNode keysNode = table.value("jwt_keys");
    if (keysNode != null && !keysNode.isArray()) {
      table.problem("jwt_keys", "not an array of tables", "[[auth.jwt_keys]] tables with algorithm and file");
    } else if (keysNode != null) {
      Path folder = file.toAbsolutePath().getParent();
      for (int i = 0; i < keysNode.size(); i++) {
        String prefix = "[[auth.jwt_keys]] #" + (i + 1);
        JsonNode element = keysNode.get(i);
        if (!element.isObject()) {
          keyProblems.add(new ConfigProblem(prefix, ValueText.of(element), "not a table",
              "a [[auth.jwt_keys]] table with algorithm and file", 0));
          continue;
        }
        Findings keyFindings = new Findings();
        ConfigTable key = ConfigTable.root(new ConfigTree((ObjectNode) element, KeySpelling.TOML, Map.of()),
            keyFindings);
        unknownKeys(key, JWT_KEY_KEYS);
        Optional<String> algorithm = key.requiredString("algorithm",
            "one of " + String.join(", ", AuthSpec.JwtKeySpec.ALGORITHMS));
        if (algorithm.isPresent() && !AuthSpec.JwtKeySpec.ALGORITHMS.contains(algorithm.get())) {
          key.problem("algorithm", "not a JWT algorithm Sluice verifies",
              "one of " + String.join(", ", AuthSpec.JwtKeySpec.ALGORITHMS));
        }
        Optional<String> keyFile = key.requiredString("file",
            "the key's file, relative to this file: a PEM public key, or for HS* the shared secret");
        if (algorithm.isPresent() && keyFile.isPresent()
            && AuthSpec.JwtKeySpec.ALGORITHMS.contains(algorithm.get())) {
          Path path = folder == null ? Path.of(keyFile.get()) : folder.resolve(keyFile.get());
          keys.add(new AuthSpec.JwtKeySpec(algorithm.get(), path.normalize()));
        }
        problemsOf(keyFindings, file).forEach(problem -> keyProblems.add(new ConfigProblem(
            prefix + " " + problem.key(), problem.value(), problem.problem(), problem.expected(), problem.line(),
            problem.column())));
      }
    }
    return new AuthSpec(keys, audience, issuer);
  }

  private static void unknownKeys(ConfigTable table, List<String> known) {
    table.entries().keySet().forEach(key -> {
      if (!known.contains(key)) {
        table.problem(key, "unknown key", "one of " + String.join(", ", known));
      }
    });
  }

  private static void readPools(JsonNode poolsNode, Path file, List<ConfigProblem> problems,
      List<NodePoolSpec> pools, Map<String, PoolPlacement> placements) {
    Map<String, Integer> numberByName = new HashMap<>();
    Map<Optional<GpuType>, PoolSeen> poolByGpu = new HashMap<>();
    for (int i = 0; i < poolsNode.size(); i++) {
      String prefix = POOLS_HEADER + " #" + (i + 1);
      JsonNode element = poolsNode.get(i);
      if (!element.isObject()) {
        problems.add(new ConfigProblem(prefix, ValueText.of(element), "not a table", "a " + POOLS_HEADER + " table",
            0));
        continue;
      }
      Findings findings = new Findings();
      ConfigTable table = ConfigTable.root(
          new ConfigTree((ObjectNode) element, KeySpelling.TOML, Map.of()), findings);
      Optional<NodePoolSpec> pool = pool(table, findings);
      Optional<PoolPlacement> placement = placement(table, findings, prefix, file, problems);
      element.fieldNames().forEachRemaining(key -> {
        if (!POOL_KEYS.contains(key)) {
          table.problem(key, "unknown key", "one of " + String.join(", ", POOL_KEYS));
        }
      });
      if (pool.isPresent()) {
        NodePoolSpec read = pool.get();
        Integer sameName = numberByName.putIfAbsent(read.name(), i + 1);
        if (sameName != null) {
          table.problem("name", "already the name of " + POOLS_HEADER + " #" + sameName, "a name used once");
        }
        PoolSeen sameGpu = poolByGpu.putIfAbsent(read.gpu(), new PoolSeen(read.name(), i + 1));
        if (sameGpu != null && read.isCpuPool()) {
          table.missing("gpu", ONE_POOL_EACH + "; pool " + sameGpu.name() + " (#" + sameGpu.number()
              + ") is already the CPU pool");
        } else if (sameGpu != null) {
          table.problem("gpu", "pool " + sameGpu.name() + " (#" + sameGpu.number() + ") already has "
              + read.gpu().orElseThrow() + " GPUs", ONE_POOL_EACH);
        }
      }
      List<ConfigProblem> found = problemsOf(findings, file);
      found.forEach(problem -> problems.add(new ConfigProblem(prefix + " " + problem.key(), problem.value(),
          problem.problem(), problem.expected(), problem.line(), problem.column())));
      if (found.isEmpty()) {
        pools.add(pool.orElseThrow());
        placement.filter(p -> !p.equals(PoolPlacement.ANYWHERE))
            .ifPresent(p -> placements.put(pool.orElseThrow().name(), p));
      }
    }
  }

  private record PoolSeen(String name, int number) {}

  /** One pool's keys; empty when any of them is wrong (the problems are in {@code findings}). */
  private static Optional<NodePoolSpec> pool(ConfigTable table, Findings findings) {
    int mark = findings.mark();
    Optional<String> name = table.requiredString("name", "a pool name: " + AppId.NAME_RULE);
    if (name.isPresent() && !AppId.NAME.matcher(name.get()).matches()) {
      table.problem("name", "not a valid pool name", AppId.NAME_RULE);
    }
    int beforeGpu = findings.mark();
    Optional<GpuType> gpu = gpu(table);
    // An unknown GPU name is still a GPU pool: its gpus_per_node is checked as one, not reported as a CPU pool's.
    boolean cpuPool = gpu.isEmpty() && !findings.problemsSince(beforeGpu);
    int gpusPerNode;
    if (cpuPool) {
      gpusPerNode = table.integer("gpus_per_node", 0, 0, Integer.MAX_VALUE);
      if (gpusPerNode != 0) {
        table.problem("gpus_per_node", "GPUs per node in a CPU pool",
            "0 or no gpus_per_node without gpu, or gpu set to a GPU type");
      }
    } else {
      gpusPerNode = table.integer("gpus_per_node", DEFAULT_GPUS_PER_NODE, 1, Integer.MAX_VALUE);
    }
    int beforeCounts = findings.mark();
    int minNodes = table.integer("min_nodes", DEFAULT_MIN_NODES, 0, Integer.MAX_VALUE);
    int maxNodes = table.requiredInteger("max_nodes", 1, Integer.MAX_VALUE);
    if (!findings.problemsSince(beforeCounts) && minNodes > maxNodes) {
      table.problem("min_nodes", "greater than max_nodes = " + maxNodes, "min_nodes <= max_nodes");
    }
    Duration provisionTime = table.seconds("provision_seconds", DEFAULT_PROVISION_SECONDS, 0);
    Duration idleNodeDelay = table.seconds("idle_node_seconds", DEFAULT_IDLE_NODE_SECONDS, 0);
    OptionalDouble cpusPerNode = perNode(table, "cpus_per_node", "a number of vCPUs > 0");
    OptionalDouble memoryGbPerNode = perNode(table, "memory_gb_per_node", "a number of GB > 0");
    if (findings.problemsSince(mark)) {
      return Optional.empty();
    }
    return Optional.of(new NodePoolSpec(name.orElseThrow(), gpu, gpusPerNode, minNodes, maxNodes, provisionTime,
        idleNodeDelay, cpusPerNode, memoryGbPerNode));
  }

  /**
   * The pool's {@code node_selector} and {@code tolerations}; empty when either is wrong. A problem of the selector is
   * in {@code findings}; a problem of a toleration goes straight to {@code problems}, named
   * {@code [[pools]] #2 tolerations #1 operator}, since a toleration is a table in an array.
   */
  private static Optional<PoolPlacement> placement(ConfigTable table, Findings findings, String prefix, Path file,
      List<ConfigProblem> problems) {
    int mark = findings.mark();
    ConfigTable selectorTable = table.table("node_selector");
    Map<String, String> selector = new HashMap<>();
    selectorTable.entries().forEach((key, value) -> {
      if (!PoolPlacement.labelKey(key)) {
        selectorTable.problem(key, "not a label key", PoolPlacement.LABEL_KEY_RULE);
      } else if (!value.isTextual()) {
        selectorTable.problem(key, "not a string", PoolPlacement.LABEL_VALUE_RULE);
      } else if (!PoolPlacement.labelValue(value.textValue())) {
        selectorTable.problem(key, "not a label value", PoolPlacement.LABEL_VALUE_RULE);
      } else {
        selector.put(key, value.textValue());
      }
    });
    List<PoolPlacement.Toleration> tolerations = new ArrayList<>();
    boolean tolerationsRight = true;
    JsonNode tolerationsNode = table.value("tolerations");
    if (tolerationsNode != null && !tolerationsNode.isArray()) {
      table.problem("tolerations", "not an array of tables", "an array such as [ " + TOLERATION + " ]");
    } else if (tolerationsNode != null) {
      for (int i = 0; i < tolerationsNode.size(); i++) {
        String name = prefix + " tolerations #" + (i + 1);
        Optional<PoolPlacement.Toleration> toleration = toleration(tolerationsNode.get(i), name, file, problems);
        toleration.ifPresent(tolerations::add);
        tolerationsRight &= toleration.isPresent();
      }
    }
    if (findings.problemsSince(mark) || !tolerationsRight) {
      return Optional.empty();
    }
    return Optional.of(new PoolPlacement(selector, tolerations));
  }

  private static Optional<PoolPlacement.Toleration> toleration(JsonNode element, String name, Path file,
      List<ConfigProblem> problems) {
    if (!element.isObject()) {
      problems.add(new ConfigProblem(name, ValueText.of(element), "not a table", "a table such as " + TOLERATION, 0));
      return Optional.empty();
    }
    Findings findings = new Findings();
    ConfigTable table = ConfigTable.root(new ConfigTree((ObjectNode) element, KeySpelling.TOML, Map.of()), findings);
    unknownKeys(table, TOLERATION_KEYS);
    String key = table.string("key", PoolPlacement.LABEL_KEY_RULE).orElse("");
    if (!key.isEmpty() && !PoolPlacement.labelKey(key)) {
      table.problem("key", "not a taint key", PoolPlacement.LABEL_KEY_RULE);
    }
    Optional<String> operatorName = table.string("operator", OPERATORS);
    Optional<PoolPlacement.Toleration.Operator> operator = operatorName.isEmpty()
        ? Optional.of(PoolPlacement.Toleration.Operator.EQUAL)
        : PoolPlacement.Toleration.Operator.named(operatorName.get());
    if (operatorName.isPresent() && operator.isEmpty()) {
      table.problem("operator", "not a toleration operator", OPERATORS);
    }
    String value = table.string("value", PoolPlacement.LABEL_VALUE_RULE).orElse("");
    if (!PoolPlacement.labelValue(value)) {
      table.problem("value", "not a taint value", PoolPlacement.LABEL_VALUE_RULE);
    }
    if (operator.filter(PoolPlacement.Toleration.Operator.EXISTS::equals).isPresent() && !value.isEmpty()) {
      table.problem("value", "a value with operator = \"Exists\", which matches any value",
          "no value with \"Exists\", or operator = \"Equal\"");
    }
    if (operator.filter(PoolPlacement.Toleration.Operator.EQUAL::equals).isPresent() && key.isEmpty()) {
      table.missing("key", "a taint key with operator \"Equal\" (the default); an empty key needs"
          + " operator = \"Exists\" and tolerates every taint");
    }
    Optional<String> effectName = table.string("effect", EFFECTS);
    Optional<PoolPlacement.Toleration.Effect> effect = effectName.isEmpty()
        ? Optional.of(PoolPlacement.Toleration.Effect.ANY)
        : PoolPlacement.Toleration.Effect.named(effectName.get());
    if (effectName.isPresent() && effect.isEmpty()) {
      table.problem("effect", "not a taint effect", EFFECTS);
    }
    List<ConfigProblem> found = problemsOf(findings, file);
    found.forEach(problem -> problems.add(new ConfigProblem(name + " " + problem.key(), problem.value(),
        problem.problem(), problem.expected(), problem.line(), problem.column())));
    if (!found.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(new PoolPlacement.Toleration(key, operator.orElseThrow(), value, effect.orElseThrow()));
  }

  /** Absent or {@code "CPU"}: a CPU pool; else a GPU as Cerebrium ({@code ADA_L4}) or Truss ({@code L4}) name it. */
  private static Optional<GpuType> gpu(ConfigTable table) {
    String expected = "a GPU type as Cerebrium or Truss name it (" + String.join(", ", GpuType.cerebriumNames())
        + ", " + String.join(", ", GpuType.trussNames()) + "), or no gpu for a CPU pool";
    Optional<String> written = table.string("gpu", expected);
    if (written.isEmpty() || written.get().strip().equalsIgnoreCase(CPU)) {
      return Optional.empty();
    }
    Optional<GpuType> gpu = GpuType.fromCerebrium(written.get()).or(() -> GpuType.fromTruss(written.get()));
    if (gpu.isEmpty()) {
      table.problem("gpu", "unknown GPU type", expected);
    }
    return gpu;
  }

  private static OptionalDouble perNode(ConfigTable table, String key, String description) {
    if (table.value(key) == null) {
      return OptionalDouble.empty();
    }
    double value = table.positiveNumber(key, Double.NaN, description);
    return Double.isNaN(value) ? OptionalDouble.empty() : OptionalDouble.of(value);
  }

  // Findings keeps its problems to itself and hands them over only as an exception; a pool's problems are collected
  // that way and then renamed with the pool's number, since ConfigTable spells keys by table path, not array index.
  private static List<ConfigProblem> problemsOf(Findings findings, Path file) {
    try {
      findings.throwIfAny(file);
      return List.of();
    } catch (ConfigException e) {
      return e.problems();
    }
  }
}

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
 * }</pre>
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
      "provision_seconds", "idle_node_seconds", "cpus_per_node", "memory_gb_per_node");
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
      readPools(poolsNode, nameForMessages, problems, pools);
    }

    if (!problems.isEmpty()) {
      throw new ConfigException(nameForMessages, problems);
    }
    return new NodeConfig(pools, limits, auth);
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
      List<NodePoolSpec> pools) {
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

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
 * Reads the node pools a Sluice node places replicas on from its {@code sluice.toml}:
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
    Objects.requireNonNull(sluiceToml, "sluiceToml");
    return parse(ConfigText.read(sluiceToml), sluiceToml);
  }

  /**
   * Reads {@code sluice.toml} text.
   *
   * @param nameForMessages the file named in problems
   */
  public static List<NodePoolSpec> parse(String text, Path nameForMessages) throws ConfigException {
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(nameForMessages, "nameForMessages");
    ConfigText.requireWithinLimit(text, nameForMessages);
    ConfigTree tree = TomlTreeParser.parse(text, nameForMessages);
    List<ConfigProblem> problems = new ArrayList<>();
    List<NodePoolSpec> pools = new ArrayList<>();

    tree.root().fieldNames().forEachRemaining(key -> {
      if (!key.equals(POOLS)) {
        problems.add(new ConfigProblem(KeySpelling.TOML.key(List.of(), key), ValueText.of(tree.root().get(key)),
            "unknown key", POOLS_HEADER + " tables only", 0));
      }
    });
    JsonNode poolsNode = tree.root().get(POOLS);
    if (poolsNode == null || (poolsNode.isArray() && poolsNode.isEmpty())) {
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
    return List.copyOf(pools);
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

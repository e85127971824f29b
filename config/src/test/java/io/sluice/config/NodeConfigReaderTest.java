package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The node's {@code sluice.toml}: the shipped examples, the defaults, and one row per way to get it wrong. */
class NodeConfigReaderTest {

  private static final Path FILE = Path.of("sluice.toml");

  @Test
  void example_file_reads_to_its_three_pools_in_file_order() throws Exception {
    List<NodePoolSpec> pools = NodeConfigReader.read(fixture("sluice.toml"));

    assertThat(pools).containsExactly(
        new NodePoolSpec("cpu", Optional.empty(), 0, 0, 4, Duration.ofSeconds(60), Duration.ofSeconds(300),
            OptionalDouble.of(16), OptionalDouble.of(64)),
        new NodePoolSpec("l4", Optional.of(GpuType.L4), 2, 1, 4, Duration.ofSeconds(90), Duration.ofSeconds(600)),
        new NodePoolSpec("h100", Optional.of(GpuType.H100), 8, 0, 2, Duration.ofSeconds(60),
            Duration.ofSeconds(300)));
  }

  @Test
  void a_pool_with_only_name_gpu_and_max_nodes_takes_the_defaults() throws Exception {
    List<NodePoolSpec> pools = NodeConfigReader.read(fixture("minimal.toml"));

    assertThat(pools).containsExactly(new NodePoolSpec("t4", Optional.of(GpuType.T4), 1, 0, 3,
        Duration.ofSeconds(60), Duration.ofSeconds(300), OptionalDouble.empty(), OptionalDouble.empty()));
  }

  @Test
  void a_machine_can_declare_its_own_gpu_as_an_always_present_pool() throws Exception {
    List<NodePoolSpec> pools = NodeConfigReader.read(fixture("local-gpu.toml"));

    assertThat(pools).extracting(NodePoolSpec::describe).containsExactly("local (CPU)", "gpu (1 x L4 per node)");
    assertThat(pools).allSatisfy(pool -> {
      assertThat(pool.minNodes()).isEqualTo(1);
      assertThat(pool.provisionTime()).isZero();
    });
  }

  @Test
  void gpu_may_be_written_as_cpu_for_a_cpu_pool() throws Exception {
    List<NodePoolSpec> pools = NodeConfigReader.parse("""
        [[pools]]
        name = "general"
        gpu = "cpu"
        max_nodes = 2
        """, FILE);

    assertThat(pools).singleElement().satisfies(pool -> {
      assertThat(pool.isCpuPool()).isTrue();
      assertThat(pool.gpusPerNode()).isZero();
    });
  }

  @Test
  void default_pools_are_one_always_present_unlimited_cpu_node_and_no_gpus() {
    assertThat(NodeConfigReader.defaultPools()).containsExactly(new NodePoolSpec("local", Optional.empty(), 0, 1, 1,
        Duration.ZERO, Duration.ZERO, OptionalDouble.empty(), OptionalDouble.empty()));
  }

  @Test
  void an_unknown_gpu_is_one_problem_and_does_not_make_its_gpus_per_node_a_cpu_pool_problem() {
    assertThatThrownBy(() -> NodeConfigReader.parse("""
        [[pools]]
        name = "l5"
        gpu = "L5"
        gpus_per_node = 2
        max_nodes = 1
        """, FILE))
        .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).singleElement()
            .satisfies(problem -> assertThat(problem.key()).isEqualTo("[[pools]] #1 gpu")));
  }

  @Test
  void a_missing_file_is_named_in_the_problem() {
    Path missing = Path.of("no", "such", "sluice.toml");

    assertThatThrownBy(() -> NodeConfigReader.read(missing))
        .isInstanceOf(ConfigException.class)
        .hasMessage(missing + ": no such file (expected: an existing sluice.toml)");
  }

  @Test
  void limits_and_auth_are_read_and_pools_default_when_the_file_has_none() throws Exception {
    NodeConfig config = NodeConfigReader.parseNode("""
        [limits]
        max_body_bytes = 1048576
        header_timeout_seconds = 5
        max_connections = 20000

        [auth]
        jwt_issuer = "https://issuer.example"
        [[auth.jwt_keys]]
        algorithm = "RS256"
        file = "keys/issuer.pem"
        """, Path.of("/etc/sluice/sluice.toml"));

    assertThat(config.pools()).isEqualTo(NodeConfigReader.defaultPools());
    assertThat(config.limits().maxBodyBytes()).isEqualTo(1 << 20);
    assertThat(config.limits().headerTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(config.limits().maxConnections()).isEqualTo(20_000);
    assertThat(config.limits().keepAliveTimeout()).isEqualTo(ClientLimits.defaults().keepAliveTimeout());
    assertThat(config.auth().audience()).isEqualTo(AuthSpec.DEFAULT_AUDIENCE);
    assertThat(config.auth().issuer()).hasValue("https://issuer.example");
    assertThat(config.auth().jwtKeys()).containsExactly(
        new AuthSpec.JwtKeySpec("RS256", Path.of("/etc/sluice/keys/issuer.pem")));
  }

  @Test
  void a_file_of_pools_only_keeps_the_default_limits_and_auth() throws Exception {
    NodeConfig config = NodeConfigReader.readNode(fixture("minimal.toml"));

    assertThat(config.limits()).isEqualTo(ClientLimits.defaults());
    assertThat(config.auth()).isEqualTo(AuthSpec.defaults());
  }

  record BadCase(String name, String text, List<String> messageParts) {
    @Override
    public String toString() {
      return name;
    }
  }

  static BadCase bad(String name, String text, String... messageParts) {
    return new BadCase(name, text, List.of(messageParts));
  }

  static Stream<BadCase> badCases() {
    return Stream.of(
        bad("max_nodes missing", """
            [[pools]]
            name = "l4"
            gpu = "L4"
            """, "sluice.toml: [[pools]] #1 max_nodes: missing (expected: an integer >= 1)"),
        bad("max_nodes zero in the second pool", """
            [[pools]]
            name = "cpu"
            max_nodes = 1
            [[pools]]
            name = "l4"
            gpu = "L4"
            max_nodes = 0
            """, "sluice.toml: [[pools]] #2 max_nodes = 0: out of range (expected: >= 1)"),
        bad("unknown gpu type", """
            [[pools]]
            name = "l5"
            gpu = "L5"
            max_nodes = 1
            """, "sluice.toml: [[pools]] #1 gpu = \"L5\": unknown GPU type (expected: a GPU type as Cerebrium or "
                + "Truss name it (TURING_T4, ADA_L4", "or no gpu for a CPU pool)"),
        bad("gpu not a string", """
            [[pools]]
            name = "l4"
            gpu = 4
            max_nodes = 1
            """, "sluice.toml: [[pools]] #1 gpu = 4: not a string"),
        bad("min_nodes above max_nodes", """
            [[pools]]
            name = "l4"
            gpu = "L4"
            min_nodes = 5
            max_nodes = 2
            """, "sluice.toml: [[pools]] #1 min_nodes = 5: greater than max_nodes = 2 "
                + "(expected: min_nodes <= max_nodes)"),
        bad("negative provision time", """
            [[pools]]
            name = "l4"
            gpu = "L4"
            max_nodes = 2
            provision_seconds = -5
            """, "sluice.toml: [[pools]] #1 provision_seconds = -5: out of range (expected: whole seconds >= 0)"),
        bad("idle delay written as text", """
            [[pools]]
            name = "l4"
            gpu = "L4"
            max_nodes = 2
            idle_node_seconds = "5m"
            """, "sluice.toml: [[pools]] #1 idle_node_seconds = \"5m\": not a whole number of seconds "
                + "(expected: whole seconds >= 0)"),
        bad("gpu pool with zero gpus per node", """
            [[pools]]
            name = "l4"
            gpu = "L4"
            gpus_per_node = 0
            max_nodes = 2
            """, "sluice.toml: [[pools]] #1 gpus_per_node = 0: out of range (expected: >= 1)"),
        bad("cpu pool with gpus per node", """
            [[pools]]
            name = "cpu"
            gpus_per_node = 2
            max_nodes = 2
            """, "sluice.toml: [[pools]] #1 gpus_per_node = 2: GPUs per node in a CPU pool "
                + "(expected: 0 or no gpus_per_node without gpu, or gpu set to a GPU type)"),
        bad("cpus per node zero", """
            [[pools]]
            name = "cpu"
            max_nodes = 2
            cpus_per_node = 0
            """, "sluice.toml: [[pools]] #1 cpus_per_node = 0: out of range (expected: a number of vCPUs > 0)"),
        bad("name missing", """
            [[pools]]
            gpu = "L4"
            max_nodes = 2
            """, "sluice.toml: [[pools]] #1 name: missing (expected: a pool name: 1 to 63 lowercase letters"),
        bad("name not a dns label", """
            [[pools]]
            name = "L4_pool"
            gpu = "L4"
            max_nodes = 2
            """, "sluice.toml: [[pools]] #1 name = \"L4_pool\": not a valid pool name (expected: 1 to 63 lowercase"),
        bad("same name twice", """
            [[pools]]
            name = "gpu"
            gpu = "L4"
            max_nodes = 2
            [[pools]]
            name = "gpu"
            gpu = "T4"
            max_nodes = 2
            """, "sluice.toml: [[pools]] #2 name = \"gpu\": already the name of [[pools]] #1 "
                + "(expected: a name used once)"),
        bad("same gpu in two spellings", """
            [[pools]]
            name = "l4"
            gpu = "L4"
            max_nodes = 2
            [[pools]]
            name = "l4-big"
            gpu = "ADA_L4"
            gpus_per_node = 4
            max_nodes = 2
            """, "sluice.toml: [[pools]] #2 gpu = \"ADA_L4\": pool l4 (#1) already has L4 GPUs "
                + "(expected: one pool per GPU type and at most one CPU pool)"),
        bad("two cpu pools", """
            [[pools]]
            name = "small"
            max_nodes = 2
            [[pools]]
            name = "big"
            max_nodes = 2
            """, "sluice.toml: [[pools]] #2 gpu: missing (expected: one pool per GPU type and at most one CPU pool; "
                + "pool small (#1) is already the CPU pool)"),
        bad("misspelt key in a pool", """
            [[pools]]
            name = "l4"
            gpu = "L4"
            max_nodes = 2
            provison_seconds = 30
            """, "sluice.toml: [[pools]] #1 provison_seconds = 30: unknown key (expected: one of name, gpu, "
                + "gpus_per_node, min_nodes, max_nodes, provision_seconds"),
        bad("unknown key at the top", """
            nodes = 3
            [[pools]]
            name = "cpu"
            max_nodes = 2
            """, "sluice.toml: nodes = 3: unknown key (expected: [[pools]], [limits] and [auth] tables only)"),
        bad("a misspelt limit", """
            [limits]
            max_body_byte = 10
            """, "sluice.toml: [limits] max_body_byte = 10: unknown key (expected: one of max_request_line_bytes"),
        bad("limits out of range or of the wrong type", """
            [limits]
            max_connections = 0
            header_timeout_seconds = "10s"
            """, "sluice.toml: [limits] max_connections = 0: out of range",
            "sluice.toml: [limits] header_timeout_seconds = \"10s\": not a whole number of seconds"),
        bad("a jwt key without its file and with an unknown algorithm", """
            [[auth.jwt_keys]]
            algorithm = "RS255"
            """, "sluice.toml: [[auth.jwt_keys]] #1 algorithm = \"RS255\": not a JWT algorithm Sluice verifies",
            "sluice.toml: [[auth.jwt_keys]] #1 file: missing"),
        bad("jwt_keys as a single table", """
            [auth.jwt_keys]
            algorithm = "RS256"
            """, "sluice.toml: [auth] jwt_keys", "not an array of tables"),
        bad("pools written with single brackets", """
            [pools]
            name = "cpu"
            max_nodes = 2
            """, "sluice.toml: [pools]: a single table (expected: [[pools]] tables, written with double brackets)"),
        bad("pools as a list of numbers", """
            pools = [1, 2]
            """, "sluice.toml: [[pools]] #1 = 1: not a table (expected: a [[pools]] table)",
            "sluice.toml: [[pools]] #2 = 2: not a table"),
        bad("pools as a number", """
            pools = 3
            """, "sluice.toml: pools = 3: not an array of tables (expected: [[pools]] tables)"),
        bad("empty file", "",
            "sluice.toml: [[pools]]: missing (expected: at least one [[pools]] table with name and max_nodes)"),
        bad("toml syntax error", """
            [[pools]]
            name = "cpu
            """, "sluice.toml:", "TOML syntax error", "(expected: valid TOML)"),
        bad("every problem of every pool at once", """
            [[pools]]
            name = "l4"
            gpu = "L5"
            max_nodes = 2
            [[pools]]
            name = "h100"
            gpu = "H100"
            """, "[[pools]] #1 gpu = \"L5\": unknown GPU type", "[[pools]] #2 max_nodes: missing"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badCases")
  void bad_node_config_is_refused_naming_file_pool_key_value_and_expectation(BadCase row) {
    assertThatThrownBy(() -> NodeConfigReader.parse(row.text(), FILE))
        .isInstanceOf(ConfigException.class)
        .hasMessageContainingAll(row.messageParts().toArray(String[]::new))
        .satisfies(e -> assertThat(((ConfigException) e).file()).isEqualTo(FILE))
        .satisfies(e -> assertThat(e.getMessage().lines()).allMatch(line -> line.startsWith("sluice.toml")));
  }

  static Path fixture(String name) throws Exception {
    return Path.of(NodeConfigReaderTest.class.getResource("/node/" + name).toURI());
  }
}

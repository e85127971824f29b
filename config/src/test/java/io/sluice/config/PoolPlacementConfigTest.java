package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.config.PoolPlacement.Toleration;
import io.sluice.config.PoolPlacement.Toleration.Effect;
import io.sluice.config.PoolPlacement.Toleration.Operator;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** A pool's {@code node_selector} and {@code tolerations} in {@code sluice.toml}: where its pods land on a cluster. */
class PoolPlacementConfigTest {

  private static final Path FILE = Path.of("sluice.toml");

  @Test
  void a_gke_pool_selects_its_accelerator_and_tolerates_the_gpu_taint() throws Exception {
    NodeConfig config = NodeConfigReader.parseNode("""
        [[pools]]
        name = "l4"
        gpu = "L4"
        max_nodes = 4
        node_selector = { "cloud.google.com/gke-accelerator" = "nvidia-l4" }
        tolerations = [ { key = "nvidia.com/gpu", operator = "Equal", value = "present", effect = "NoSchedule" } ]
        """, FILE);

    assertThat(config.placement("l4")).isEqualTo(new PoolPlacement(
        Map.of("cloud.google.com/gke-accelerator", "nvidia-l4"),
        List.of(new Toleration("nvidia.com/gpu", Operator.EQUAL, "present", Effect.NO_SCHEDULE))));
  }

  @Test
  void a_karpenter_pool_selects_its_node_pool_and_gpu_name_and_tolerates_any_gpu_taint_value() throws Exception {
    NodeConfig config = NodeConfigReader.parseNode("""
        [[pools]]
        name = "h100"
        gpu = "H100"
        gpus_per_node = 8
        max_nodes = 2
        node_selector = { "karpenter.sh/nodepool" = "gpu", "karpenter.k8s.aws/instance-gpu-name" = "h100" }
        tolerations = [
          { key = "nvidia.com/gpu", operator = "Exists", effect = "NoSchedule" },
          { key = "spot", operator = "Exists" },
        ]
        """, FILE);

    assertThat(config.placement("h100")).isEqualTo(new PoolPlacement(
        Map.of("karpenter.sh/nodepool", "gpu", "karpenter.k8s.aws/instance-gpu-name", "h100"),
        List.of(new Toleration("nvidia.com/gpu", Operator.EXISTS, "", Effect.NO_SCHEDULE),
            new Toleration("spot", Operator.EXISTS, "", Effect.ANY))));
  }

  @Test
  void a_pool_without_placement_keys_lands_anywhere_and_equal_is_the_default_operator() throws Exception {
    NodeConfig config = NodeConfigReader.parseNode("""
        [[pools]]
        name = "cpu"
        max_nodes = 4

        [[pools]]
        name = "t4"
        gpu = "T4"
        max_nodes = 1
        tolerations = [ { key = "dedicated", value = "ml" } ]
        """, FILE);

    assertThat(config.placement("cpu")).isEqualTo(PoolPlacement.ANYWHERE);
    assertThat(config.placements()).containsOnlyKeys("t4");
    assertThat(config.placement("t4").tolerations())
        .containsExactly(new Toleration("dedicated", Operator.EQUAL, "ml", Effect.ANY));
    assertThat(NodeConfig.defaults().placements()).isEmpty();
  }

  record BadCase(String name, String pool, List<String> messageParts) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<BadCase> badCases() {
    return Stream.of(
        new BadCase("selector as a string", "node_selector = \"gpu\"",
            List.of("[[pools]] #1 node_selector = \"gpu\": not a table")),
        new BadCase("selector label key with a space", "node_selector = { \"gke accelerator\" = \"nvidia-l4\" }",
            List.of("[[pools]] #1 [node_selector] \"gke accelerator\" = \"nvidia-l4\": not a label key",
                "cloud.google.com/gke-accelerator")),
        new BadCase("selector value that is no label value", "node_selector = { \"pool\" = \"gpu pool\" }",
            List.of("[[pools]] #1 [node_selector] pool = \"gpu pool\": not a label value", "at most 63")),
        new BadCase("selector value as a number", "node_selector = { \"size\" = 8 }",
            List.of("[[pools]] #1 [node_selector] size = 8: not a string")),
        new BadCase("tolerations as a table", "tolerations = { key = \"nvidia.com/gpu\" }",
            List.of("[[pools]] #1 tolerations = {key = \"nvidia.com/gpu\"}: not an array of tables",
                "operator = \"Exists\"")),
        new BadCase("toleration as a string", "tolerations = [ \"nvidia.com/gpu\" ]",
            List.of("[[pools]] #1 tolerations #1 = \"nvidia.com/gpu\": not a table")),
        new BadCase("toleration operator misspelt", "tolerations = [ { key = \"a\", operator = \"exists\" } ]",
            List.of("[[pools]] #1 tolerations #1 operator = \"exists\": not a toleration operator",
                "\"Equal\" (the default) or \"Exists\"")),
        new BadCase("toleration effect misspelt", "tolerations = [ { key = \"a\", operator = \"Exists\","
            + " effect = \"NoSchedul\" } ]",
            List.of("[[pools]] #1 tolerations #1 effect = \"NoSchedul\": not a taint effect", "\"PreferNoSchedule\"")),
        new BadCase("exists with a value", "tolerations = [ { key = \"a\", operator = \"Exists\", value = \"b\" } ]",
            List.of("[[pools]] #1 tolerations #1 value = \"b\"", "no value with \"Exists\"")),
        new BadCase("equal without a key", "tolerations = [ { value = \"b\" } ]",
            List.of("[[pools]] #1 tolerations #1 key: missing", "operator = \"Exists\"")),
        new BadCase("unknown toleration key", "tolerations = [ { key = \"a\", operator = \"Exists\", for = 10 } ]",
            List.of("[[pools]] #1 tolerations #1 for = 10: unknown key", "key, operator, value, effect")),
        new BadCase("second toleration wrong", "tolerations = [ { key = \"a\", operator = \"Exists\" },"
            + " { key = \"bad key\", operator = \"Exists\" } ]",
            List.of("[[pools]] #1 tolerations #2 key = \"bad key\": not a taint key")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badCases")
  void a_wrong_placement_is_refused_naming_the_pool_and_key(BadCase row) {
    String text = """
        [[pools]]
        name = "l4"
        gpu = "L4"
        max_nodes = 4
        """ + row.pool() + "\n";

    assertThatThrownBy(() -> NodeConfigReader.parseNode(text, FILE))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("sluice.toml")
        .hasMessageContainingAll(row.messageParts().toArray(String[]::new));
  }

  @Test
  void placement_names_a_pool_that_exists() {
    assertThatThrownBy(() -> new NodeConfig(NodeConfigReader.defaultPools(), ClientLimits.defaults(),
        AuthSpec.defaults(), Map.of("gpu", PoolPlacement.ANYWHERE)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("placements: gpu (expected: the name of one of the pools)");
  }
}

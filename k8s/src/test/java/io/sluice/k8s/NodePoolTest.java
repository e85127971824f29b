package io.sluice.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

import io.sluice.config.GpuType;
import io.sluice.config.PoolPlacement.Toleration;
import io.sluice.config.PoolPlacement.Toleration.Effect;
import io.sluice.config.PoolPlacement.Toleration.Operator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class NodePoolTest {

  @Test
  void gke_pool_selects_nodes_by_accelerator_and_tolerates_the_gpu_taint_gke_sets() {
    NodePool pool = NodePool.gke("l4", GpuType.L4, "nvidia-l4", 1);

    assertThat(pool.gpu()).contains(GpuType.L4);
    assertThat(pool.gpusPerNode()).isEqualTo(1);
    assertThat(pool.nodeSelector()).containsExactly(entry("cloud.google.com/gke-accelerator", "nvidia-l4"));
    assertThat(pool.tolerations()).containsExactly(new Toleration("nvidia.com/gpu", Operator.EQUAL, "present",
        Effect.NO_SCHEDULE));
  }

  @Test
  void karpenter_pool_selects_nodes_by_gpu_name_and_tolerates_the_gpu_taint_whatever_its_value() {
    NodePool pool = NodePool.karpenter("l4", GpuType.L4, "l4", 4);

    assertThat(pool.gpusPerNode()).isEqualTo(4);
    assertThat(pool.nodeSelector()).containsExactly(entry("karpenter.k8s.aws/instance-gpu-name", "l4"));
    assertThat(pool.tolerations()).containsExactly(new Toleration("nvidia.com/gpu", Operator.EXISTS, "",
        Effect.NO_SCHEDULE));
  }

  @Test
  void cpu_pool_has_no_gpu_and_no_tolerations() {
    NodePool pool = NodePool.cpu("general", Map.of("pool", "general"));

    assertThat(pool.gpu()).isEmpty();
    assertThat(pool.gpusPerNode()).isZero();
    assertThat(pool.tolerations()).isEmpty();
  }

  record Invalid(String name, Supplier<Object> build, String message) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Invalid> invalidPools() {
    return Stream.of(
        new Invalid("a GPU pool with no GPUs per node",
            () -> new NodePool("l4", Optional.of(GpuType.L4), 0, Map.of(), List.of()),
            "gpusPerNode: 0 (expected: >= 1 when a GPU is named)"),
        new Invalid("a CPU pool with GPUs per node",
            () -> new NodePool("cpu", Optional.empty(), 2, Map.of(), List.of()),
            "gpusPerNode: 2 (expected: 0 when no GPU is named)"),
        new Invalid("a name that is not a DNS label",
            () -> NodePool.gke("L4_pool", GpuType.L4, "nvidia-l4", 1),
            "name: L4_pool (expected: 1 to 63 lowercase letters, digits or '-', starting and ending with a letter or "
                + "digit)"),
        new Invalid("a blank node label key",
            () -> NodePool.cpu("cpu", Map.of(" ", "x")),
            "nodeSelector: blank label key (expected: a label key)"),
        new Invalid("an Exists toleration with a value",
            () -> new Toleration("nvidia.com/gpu", Operator.EXISTS, "present", Effect.NO_SCHEDULE),
            "value: present (expected: no value with operator Exists)"),
        new Invalid("an Equal toleration without a key",
            () -> new Toleration("", Operator.EQUAL, "present", Effect.NO_SCHEDULE),
            "key: empty (expected: a taint key with operator Equal)"));
  }

  @ParameterizedTest
  @MethodSource("invalidPools")
  void invalid_pool_is_refused_naming_the_key_the_value_and_what_is_expected(Invalid invalid) {
    assertThatThrownBy(invalid.build()::get)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(invalid.message());
  }

  @Test
  void an_exists_toleration_without_a_key_tolerates_every_taint() {
    Toleration everything = Toleration.exists("", Effect.ANY);

    assertThat(everything.operator()).isEqualTo(Operator.EXISTS);
    assertThat(everything.effect().kubernetesName()).isEmpty();
  }
}

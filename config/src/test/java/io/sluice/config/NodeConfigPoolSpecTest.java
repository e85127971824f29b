package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link NodePoolSpec} refuses values no file could produce, naming the field, the value and the range. */
class NodeConfigPoolSpecTest {

  private static final Optional<GpuType> L4 = Optional.of(GpuType.L4);
  private static final Duration MINUTE = Duration.ofMinutes(1);

  record Invalid(String name, Supplier<NodePoolSpec> build, String message) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Invalid> invalidPools() {
    return Stream.of(
        new Invalid("name with capitals", () -> new NodePoolSpec("L4", L4, 1, 0, 1, MINUTE, MINUTE),
            "name: L4 (expected: 1 to 63 lowercase letters"),
        new Invalid("gpu pool without gpus", () -> new NodePoolSpec("l4", L4, 0, 0, 1, MINUTE, MINUTE),
            "gpusPerNode: 0 (expected: >= 1 when a GPU is named)"),
        new Invalid("cpu pool with gpus", () -> new NodePoolSpec("cpu", Optional.empty(), 1, 0, 1, MINUTE, MINUTE),
            "gpusPerNode: 1 (expected: 0 when no GPU is named)"),
        new Invalid("no nodes allowed", () -> new NodePoolSpec("l4", L4, 1, 0, 0, MINUTE, MINUTE),
            "maxNodes: 0 (expected: >= 1)"),
        new Invalid("min above max", () -> new NodePoolSpec("l4", L4, 1, 3, 2, MINUTE, MINUTE),
            "minNodes: 3 (expected: <= maxNodes (2))"),
        new Invalid("negative provision time",
            () -> new NodePoolSpec("l4", L4, 1, 0, 1, Duration.ofSeconds(-1), MINUTE),
            "provisionTime: PT-1S (expected: >= 0)"),
        new Invalid("zero vcpus per node", () -> new NodePoolSpec("cpu", Optional.empty(), 0, 0, 1, MINUTE, MINUTE,
            OptionalDouble.of(0), OptionalDouble.empty()), "cpusPerNode: OptionalDouble[0.0] (expected: > 0"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidPools")
  void invalid_pool_is_refused_naming_the_field(Invalid row) {
    assertThatThrownBy(() -> row.build().get())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(row.message());
  }
}

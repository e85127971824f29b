package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.OptionalDouble;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ResourceQuantityTest {

  record Row(String text, OptionalDouble expected) {
    @Override
    public String toString() {
      return text + " -> " + expected;
    }
  }

  static Stream<Row> cpus() {
    return Stream.of(
        new Row("1", OptionalDouble.of(1)),
        new Row("2.5", OptionalDouble.of(2.5)),
        new Row("500m", OptionalDouble.of(0.5)),
        new Row(" 4 ", OptionalDouble.of(4)),
        new Row("-1", OptionalDouble.empty()),
        new Row("1Gi", OptionalDouble.empty()),
        new Row("two", OptionalDouble.empty()),
        new Row("", OptionalDouble.empty()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cpus")
  void cpu_quantity_reads_as_vcpus(Row row) {
    assertThat(ResourceQuantity.cpus(row.text())).isEqualTo(row.expected());
  }

  static Stream<Row> memories() {
    return Stream.of(
        new Row("2Gi", OptionalDouble.of(2)),
        new Row("512Mi", OptionalDouble.of(0.5)),
        new Row("1Ti", OptionalDouble.of(1024)),
        new Row("16G", OptionalDouble.of(16e9 / (1L << 30))),
        new Row("1073741824", OptionalDouble.of(1)),
        new Row("1.5Gi", OptionalDouble.of(1.5)),
        new Row("2GB", OptionalDouble.empty()),
        new Row("lots", OptionalDouble.empty()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("memories")
  void memory_quantity_reads_as_gigabytes_of_two_to_the_thirty_bytes(Row row) {
    assertThat(ResourceQuantity.gigabytes(row.text())).isEqualTo(row.expected());
  }
}

package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class AppIdNameFromTest {

  record Row(String text, Optional<String> expected) {
    @Override
    public String toString() {
      return "\"" + text + "\" -> " + expected.orElse("none");
    }
  }

  static Stream<Row> rows() {
    return Stream.of(
        new Row("hello", Optional.of("hello")),
        new Row("My_Model.v2", Optional.of("my-model-v2")),
        new Row("--edge--", Optional.of("edge")),
        new Row("caf\u00e9", Optional.of("caf")),
        new Row("x".repeat(70), Optional.of("x".repeat(63))),
        new Row("a".repeat(62) + "_b", Optional.of("a".repeat(62))),
        new Row("___", Optional.empty()),
        new Row("", Optional.empty()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void any_text_becomes_a_valid_app_name_or_none(Row row) {
    Optional<String> name = AppId.nameFrom(row.text());

    assertThat(name).isEqualTo(row.expected());
    name.ifPresent(valid -> assertThat(valid).matches(AppId.NAME));
  }
}

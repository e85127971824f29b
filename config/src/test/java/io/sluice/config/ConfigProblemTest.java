package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigProblemTest {

  @Test
  void problem_renders_file_key_value_problem_and_expectation() {
    ConfigProblem problem =
        new ConfigProblem("[cerebrium.runtime.custom] port", "70000", "out of range", "1..65535", 0);

    assertThat(problem.render(Path.of("cerebrium.toml")))
        .isEqualTo("cerebrium.toml: [cerebrium.runtime.custom] port = 70000: out of range (expected: 1..65535)");
  }

  @Test
  void syntax_error_renders_with_line_and_column_and_no_key() {
    ConfigProblem problem = new ConfigProblem("", null, "YAML syntax error: mapping values are not allowed here",
        "valid YAML", 7, 3);

    assertThat(problem.render(Path.of("config.yaml")))
        .isEqualTo("config.yaml:7:3: YAML syntax error: mapping values are not allowed here (expected: valid YAML)");
  }

  @Test
  void missing_key_renders_without_a_value() {
    ConfigProblem problem = new ConfigProblem("docker_server.server_port", null, "missing", "an integer 1..65535", 2);

    assertThat(problem.render(Path.of("config.yaml")))
        .isEqualTo("config.yaml:2: docker_server.server_port: missing (expected: an integer 1..65535)");
  }

  @Test
  void exception_message_lists_every_problem_one_per_line() {
    ConfigException exception = new ConfigException(Path.of("cerebrium.toml"), List.of(
        new ConfigProblem("[a] b", "1", "out of range", ">= 2", 0),
        new ConfigProblem("[a] c", null, "missing", "a string", 0)));

    assertThat(exception.getMessage()).isEqualTo("""
        cerebrium.toml: [a] b = 1: out of range (expected: >= 2)
        cerebrium.toml: [a] c: missing (expected: a string)""");
    assertThat(exception.problems()).hasSize(2);
  }
}

package io.sluice.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One thing wrong in a config file, in the file's own spelling.
 *
 * <p>Renders as {@code cerebrium.toml: [cerebrium.runtime.custom] port = 70000: out of range (expected: 1..65535)},
 * or with a position when one is known: {@code config.yaml:7:3: YAML syntax error: ... (expected: valid YAML)}.
 *
 * @param key the key as the file spells it ({@code [cerebrium.runtime.custom] port},
 *     {@code docker_server.server_port}); empty when the problem is about the whole file
 * @param value the offending value as the file writes it, or null when the key is missing, the problem is not about
 *     one value, or the value must not be shown (a secret)
 * @param problem what is wrong
 * @param expected what would be right; empty when there is nothing useful to say
 * @param line 1-based line in the file, 0 when unknown
 * @param column 1-based column in the file, 0 when unknown
 */
public record ConfigProblem(String key, String value, String problem, String expected, int line, int column) {

  public ConfigProblem {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(problem, "problem");
    Objects.requireNonNull(expected, "expected");
    if (line < 0 || column < 0) {
      throw new IllegalArgumentException("line:column: " + line + ":" + column + " (expected: >= 0, 0 = unknown)");
    }
  }

  /** A problem whose column is not known. */
  public ConfigProblem(String key, String value, String problem, String expected, int line) {
    this(key, value, problem, expected, line, 0);
  }

  /** One line naming the file: {@code file[:line[:column]]: key = value: problem (expected: ...)}. */
  public String render(Path file) {
    StringBuilder text = new StringBuilder(file.toString());
    if (line > 0) {
      text.append(':').append(line);
      if (column > 0) {
        text.append(':').append(column);
      }
    }
    return text.append(": ").append(this).toString();
  }

  /** The problem without its file: {@code key = value: problem (expected: ...)}. */
  @Override
  public String toString() {
    StringBuilder text = new StringBuilder();
    if (!key.isEmpty()) {
      text.append(key);
      if (value != null) {
        text.append(" = ").append(value);
      }
      text.append(": ");
    }
    text.append(problem);
    if (!expected.isEmpty()) {
      text.append(" (expected: ").append(expected).append(')');
    }
    return text.toString();
  }
}

package io.sluice.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import java.nio.file.Path;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/** Turns a parser's exception into a one-line {@link ConfigProblem} with the position the parser reported. */
final class SyntaxError {

  private static final int MAX_DETAIL_LENGTH = 120;

  private SyntaxError() {}

  /** @param format "TOML" or "YAML" */
  static ConfigException of(JsonProcessingException e, Path file, String format) {
    JsonLocation at = e.getLocation();
    int line = at == null ? 0 : Math.max(at.getLineNr(), 0);
    int column = line == 0 ? 0 : Math.max(at.getColumnNr(), 0);
    ConfigProblem problem = e instanceof StreamConstraintsException
        ? new ConfigProblem("", null, detail(e), "a file within the parser's limits", line, column)
        : new ConfigProblem("", null, format + " syntax error: " + detail(e), "valid " + format, line, column);
    return new ConfigException(file, problem);
  }

  // SnakeYAML's full message quotes the offending line of the file, which may hold a secret; its "problem" does not.
  // Jackson's limit messages end in ", from `StreamReadConstraints...`", which tells a user nothing.
  private static String detail(JsonProcessingException e) {
    String message = e.getCause() instanceof MarkedYAMLException marked && marked.getProblem() != null
        ? marked.getProblem()
        : e.getOriginalMessage();
    if (message == null || message.isBlank()) {
      return "unreadable";
    }
    String firstLine = message.strip().lines().findFirst().orElse("").replaceAll(", from `[^`]*`", "").strip();
    String cut = firstLine.length() <= MAX_DETAIL_LENGTH
        ? firstLine
        : firstLine.substring(0, MAX_DETAIL_LENGTH - 3) + "...";
    return printable(cut);
  }

  // SnakeYAML quotes the character it stopped at as it is: a NUL, a tab or a NEL (U+0085, a line break to some
  // readers) would end up in a message that has one problem per line.
  private static String printable(String detail) {
    StringBuilder text = new StringBuilder();
    detail.codePoints().forEach(c -> {
      if (Character.isISOControl(c)) {
        text.append(String.format("\\u%04x", c));
      } else {
        text.appendCodePoint(c);
      }
    });
    return text.toString();
  }
}

package io.sluice.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads an environment-variable table, the same way for both formats. */
final class EnvironmentVariables {

  private EnvironmentVariables() {}

  /**
   * Strings as they are; numbers and booleans as their text (YAML writes {@code DEBUG: true} unquoted); a null value
   * (Truss's placeholder) is skipped with a notice, since setting it to an empty string would hide the mistake.
   */
  static Map<String, String> read(ConfigTable table) {
    Map<String, String> env = new LinkedHashMap<>();
    table.entries().forEach((name, value) -> {
      if (name.isEmpty() || name.indexOf('=') >= 0 || name.indexOf('\0') >= 0) {
        table.problem(name, "not a valid environment variable name", "a non-empty name without '='");
      } else if (value.isNull()) {
        table.notice(table.spell(name) + " is null and is not set: give it a value, or declare it under secrets"
            + " if it is a secret");
      } else if (value.isTextual() || value.isNumber() || value.isBoolean()) {
        env.put(name, value.asText());
      } else {
        table.problem(name, "not a string", "a string value");
      }
    });
    return env;
  }
}

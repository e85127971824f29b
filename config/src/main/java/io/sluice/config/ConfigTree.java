package io.sluice.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A parsed config file: its top-level table, how its keys are spelled, and the line of each key where the parser
 * could tell (YAML; the TOML parser keeps no positions).
 */
record ConfigTree(ObjectNode root, KeySpelling spelling, Map<List<String>, Integer> lines) {

  ConfigTree {
    Objects.requireNonNull(root, "root");
    Objects.requireNonNull(spelling, "spelling");
    lines = Map.copyOf(lines);
  }

  /** The line of the key at {@code path}, or of the nearest enclosing key that has one; 0 when none has. */
  int line(List<String> path) {
    for (int end = path.size(); end > 0; end--) {
      Integer line = lines.get(path.subList(0, end));
      if (line != null) {
        return line;
      }
    }
    return 0;
  }
}

package io.sluice.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlFactory;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * Parses TOML text into a tree; a syntax error becomes a {@link ConfigException} with its line and column.
 *
 * <p>Jackson's limit on nesting counts only arrays and inline tables; dotted keys and table headers
 * ({@code [a.b.c]}) nest tables without it. So the tree is checked once parsed, with the same limits as
 * {@link YamlTreeParser}: at most {@link #MAX_NESTING_DEPTH} levels and {@link #MAX_NODES} values.
 */
final class TomlTreeParser {

  static final int MAX_NESTING_DEPTH = 50;
  static final long MAX_NODES = 100_000;

  private static final TomlMapper MAPPER = new TomlMapper(TomlFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build())
      .build());

  private TomlTreeParser() {}

  static ConfigTree parse(String text, Path file) throws ConfigException {
    JsonNode root;
    try {
      root = MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      throw SyntaxError.of(e, file, "TOML");
    }
    ObjectNode table = root != null && root.isObject() ? (ObjectNode) root : JsonNodeFactory.instance.objectNode();
    checkLimits(table, file);
    return new ConfigTree(table, KeySpelling.TOML, Map.of());
  }

  /** A node still to be checked, and the way to it; the key path is spelled out only for a refusal. */
  private record Pending(JsonNode node, Pending parent, String key, int depth) {

    List<String> path() {
      List<String> keys = new ArrayList<>();
      for (Pending at = this; at != null; at = at.parent) {
        if (at.key != null) {
          keys.add(at.key);
        }
      }
      Collections.reverse(keys);
      return keys;
    }
  }

  // Iterative, so that a tree thousands of tables deep costs no stack; a container's values are counted before they
  // are queued.
  private static void checkLimits(ObjectNode root, Path file) throws ConfigException {
    Deque<Pending> pending = new ArrayDeque<>();
    pending.push(new Pending(root, null, null, 0));
    long nodes = 1;
    while (!pending.isEmpty()) {
      Pending next = pending.pop();
      JsonNode node = next.node();
      if (!node.isContainerNode()) {
        continue;
      }
      if (next.depth() >= MAX_NESTING_DEPTH) {
        throw refusal(file, next.path(), "nested deeper than " + MAX_NESTING_DEPTH + " levels",
            "at most " + MAX_NESTING_DEPTH + " levels of tables and arrays");
      }
      nodes += node.size();
      if (nodes > MAX_NODES) {
        throw refusal(file, next.path(), "more than " + MAX_NODES + " values",
            "a config file of at most " + MAX_NODES + " values");
      }
      int depth = next.depth() + 1;
      if (node.isObject()) {
        node.fields().forEachRemaining(
            field -> pending.push(new Pending(field.getValue(), next, field.getKey(), depth)));
      } else {
        node.elements().forEachRemaining(element -> pending.push(new Pending(element, next, null, depth)));
      }
    }
  }

  private static ConfigException refusal(Path file, List<String> path, String problem, String expected) {
    String key = path.isEmpty()
        ? ""
        : KeySpelling.TOML.key(path.subList(0, path.size() - 1), path.get(path.size() - 1));
    return new ConfigException(file, new ConfigProblem(key, null, problem, expected, 0));
  }
}

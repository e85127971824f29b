package io.sluice.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;

/**
 * Parses YAML text into a tree, noting the line of every key, and refusing what a config file has no use for but an
 * attacker would: deep nesting, many aliases, aliases that multiply the document, duplicate keys.
 *
 * <p>Jackson's streaming YAML parser reports an alias as a string holding the anchor's name, and SnakeYAML enforces
 * its alias limit only when composing documents, which Jackson does not do; so this class resolves aliases itself,
 * within {@link #MAX_ALIASES} and {@link #MAX_NODES}.
 */
final class YamlTreeParser {

  static final int MAX_NESTING_DEPTH = 50;
  static final int MAX_ALIASES = 10;
  /** Nodes in the tree with every alias counted as a copy of what it refers to. */
  static final long MAX_NODES = 100_000;

  private static final YAMLFactory FACTORY = YAMLFactory.builder().loaderOptions(loaderOptions()).build();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final Path file;
  private final Map<String, Anchored> anchors = new HashMap<>();
  private final Map<List<String>, Integer> lines = new HashMap<>();
  private int aliases;
  private long nodes;

  /** An anchored map or list and its size, so that each alias to it can be charged for a full copy. */
  private record Anchored(JsonNode node, long size) {}

  private YamlTreeParser(Path file) {
    this.file = file;
  }

  static ConfigTree parse(String text, Path file) throws ConfigException {
    return new YamlTreeParser(file).read(text);
  }

  private static LoaderOptions loaderOptions() {
    LoaderOptions options = new LoaderOptions();
    options.setMaxAliasesForCollections(MAX_ALIASES);
    options.setNestingDepthLimit(MAX_NESTING_DEPTH);
    options.setCodePointLimit(ConfigText.MAX_BYTES);
    return options;
  }

  private ConfigTree read(String text) throws ConfigException {
    try (YAMLParser parser = FACTORY.createParser(text)) {
      if (next(parser) == null) {
        return new ConfigTree(NODES.objectNode(), KeySpelling.YAML, lines);
      }
      JsonNode root = value(parser, List.of(), 0);
      if (!root.isObject()) {
        throw refusal(List.of(), "the file is not a map of keys", "a YAML map with docker_server", 1);
      }
      if (next(parser) != null) {
        throw refusal(List.of(), "more than one YAML document", "a single document", lineOf(parser));
      }
      return new ConfigTree((ObjectNode) root, KeySpelling.YAML, lines);
    } catch (JsonProcessingException e) {
      throw SyntaxError.of(e, file, "YAML");
    } catch (IOException e) {
      throw new UncheckedIOException("reading YAML from a string", e);
    }
  }

  private JsonNode value(YAMLParser parser, List<String> path, int depth) throws IOException, ConfigException {
    JsonToken token = parser.currentToken();
    if (token == JsonToken.START_OBJECT || token == JsonToken.START_ARRAY) {
      if (depth >= MAX_NESTING_DEPTH) {
        throw refusal(path, "nested deeper than " + MAX_NESTING_DEPTH + " levels",
            "at most " + MAX_NESTING_DEPTH + " levels of maps and lists", lineOf(parser));
      }
      String anchor = parser.getObjectId();
      long before = nodes;
      JsonNode container = token == JsonToken.START_OBJECT ? map(parser, path, depth) : list(parser, path, depth);
      if (anchor != null) {
        anchors.put(anchor, new Anchored(container, nodes - before));
      }
      return container;
    }
    if (parser.isCurrentAlias()) {
      return alias(parser, path);
    }
    count(1, path, parser);
    return switch (token) {
      case VALUE_NUMBER_INT -> switch (parser.getNumberType()) {
        case INT -> NODES.numberNode(parser.getIntValue());
        case LONG -> NODES.numberNode(parser.getLongValue());
        default -> NODES.numberNode(parser.getBigIntegerValue());
      };
      case VALUE_NUMBER_FLOAT -> NODES.numberNode(parser.getDoubleValue());
      case VALUE_TRUE -> NODES.booleanNode(true);
      case VALUE_FALSE -> NODES.booleanNode(false);
      case VALUE_NULL -> NODES.nullNode();
      default -> NODES.textNode(parser.getText());
    };
  }

  private ObjectNode map(YAMLParser parser, List<String> path, int depth) throws IOException, ConfigException {
    count(1, path, parser);
    ObjectNode map = NODES.objectNode();
    while (next(parser) == JsonToken.FIELD_NAME) {
      String key = parser.currentName();
      List<String> keyPath = append(path, key);
      int line = lineOf(parser);
      if (map.has(key)) {
        throw refusal(keyPath, "duplicate key", "each key once in its map", line);
      }
      lines.put(keyPath, line);
      next(parser);
      map.set(key, value(parser, keyPath, depth + 1));
    }
    return map;
  }

  private ArrayNode list(YAMLParser parser, List<String> path, int depth) throws IOException, ConfigException {
    count(1, path, parser);
    ArrayNode list = NODES.arrayNode();
    while (next(parser) != JsonToken.END_ARRAY) {
      list.add(value(parser, path, depth + 1));
    }
    return list;
  }

  // The alias shares the anchored node instead of copying it: the tree is never modified after parsing.
  private JsonNode alias(YAMLParser parser, List<String> path) throws IOException, ConfigException {
    int line = lineOf(parser);
    aliases++;
    if (aliases > MAX_ALIASES) {
      throw refusal(path, "more than " + MAX_ALIASES + " YAML aliases (*name)",
          "at most " + MAX_ALIASES + " aliases; write the values out", line);
    }
    Anchored anchored = anchors.get(parser.getText());
    if (anchored == null) {
      throw refusal(path, "alias *" + parser.getText() + " does not refer to a map or list anchored before it",
          "an alias *name after a map or list anchored with &name", line);
    }
    count(anchored.size(), path, parser);
    return anchored.node();
  }

  // SnakeYAML 2.0 lets an IllegalArgumentException out of its scanner for an escape such as "\U00110000", which is no
  // code point (fixed in 2.1; Vert.x's BOM still picks 2.0); Jackson wraps only SnakeYAML's own exceptions.
  private static JsonToken next(YAMLParser parser) throws IOException {
    try {
      return parser.nextToken();
    } catch (IllegalArgumentException e) {
      throw new JsonParseException(parser, e.getMessage(), e);
    }
  }

  private void count(long added, List<String> path, YAMLParser parser) throws ConfigException {
    nodes += added;
    if (nodes > MAX_NODES) {
      throw refusal(path, "more than " + MAX_NODES + " values once aliases are expanded",
          "a config file of at most " + MAX_NODES + " values", lineOf(parser));
    }
  }

  private ConfigException refusal(List<String> path, String problem, String expected, int line) {
    return new ConfigException(file, new ConfigProblem(KeySpelling.YAML.table(path), null, problem, expected, line));
  }

  private static int lineOf(YAMLParser parser) {
    JsonLocation at = parser.currentTokenLocation();
    return at == null ? 0 : Math.max(at.getLineNr(), 0);
  }

  private static List<String> append(List<String> path, String key) {
    List<String> longer = new ArrayList<>(path);
    longer.add(key);
    return List.copyOf(longer);
  }
}

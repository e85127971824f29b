package io.sluice.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.toml.TomlFactory;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import java.nio.file.Path;
import java.util.Map;

/** Parses TOML text into a tree; a syntax error becomes a {@link ConfigException} with its line and column. */
final class TomlTreeParser {

  static final int MAX_NESTING_DEPTH = 50;

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
    return new ConfigTree(table, KeySpelling.TOML, Map.of());
  }
}

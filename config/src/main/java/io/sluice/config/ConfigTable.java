package io.sluice.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One table of a config file (a TOML table, a YAML map) read key by key.
 *
 * <p>Every typed read either returns a valid value or records a {@link ConfigProblem} and returns a stand-in, so that
 * one pass finds all the problems of a file. The table remembers which keys were read; the rest are reported as
 * ignored keys. A table that is absent from the file reads as empty.
 */
final class ConfigTable {

  private static final String ENDPOINT = "a path starting with '/'";

  private final ConfigTree tree;
  private final Findings findings;
  private final List<String> path;
  private final ObjectNode node;
  private final boolean hidesValues;
  private final Set<String> readKeys = new HashSet<>();
  private final Map<String, ConfigTable> openedTables = new LinkedHashMap<>();

  private ConfigTable(ConfigTree tree, Findings findings, List<String> path, ObjectNode node, boolean hidesValues) {
    this.tree = tree;
    this.findings = findings;
    this.path = path;
    this.node = node;
    this.hidesValues = hidesValues;
  }

  static ConfigTable root(ConfigTree tree, Findings findings) {
    return new ConfigTable(tree, findings, List.of(), tree.root(), false);
  }

  boolean exists() {
    return node != null;
  }

  ConfigTable table(String key) {
    return child(key, hidesValues);
  }

  /** A table whose values are secrets: no message or notice ever shows one of them. */
  ConfigTable secretTable(String key) {
    return child(key, true);
  }

  private ConfigTable child(String key, boolean hideValues) {
    ConfigTable opened = openedTables.get(key);
    if (opened != null) {
      return opened;
    }
    JsonNode value = value(key);
    ObjectNode childNode = null;
    if (value != null && value.isObject()) {
      childNode = (ObjectNode) value;
    } else if (value != null) {
      String word = tree.spelling().tableWord();
      report(key, hideValues ? null : ValueText.of(value), "not a " + word, "a " + word);
    }
    ConfigTable child = new ConfigTable(tree, findings, append(key), childNode, hideValues);
    openedTables.put(key, child);
    return child;
  }

  /** The value at {@code key}, or null when it is absent or null; the key counts as known from now on. */
  JsonNode value(String key) {
    readKeys.add(key);
    if (node == null) {
      return null;
    }
    JsonNode value = node.get(key);
    return value == null || value.isNull() ? null : value;
  }

  /** Every entry, nulls included, of a table whose keys are the user's own (variables, secrets); all count as known. */
  Map<String, JsonNode> entries() {
    Map<String, JsonNode> entries = new LinkedHashMap<>();
    if (node != null) {
      node.fields().forEachRemaining(field -> {
        readKeys.add(field.getKey());
        entries.put(field.getKey(), field.getValue());
      });
    }
    return entries;
  }

  Optional<String> string(String key, String expected) {
    JsonNode value = value(key);
    if (value == null) {
      return Optional.empty();
    }
    if (!value.isTextual()) {
      problem(key, "not a string", expected);
      return Optional.empty();
    }
    return Optional.of(value.textValue());
  }

  /** A string that must be there and not blank. */
  Optional<String> requiredString(String key, String expected) {
    JsonNode value = value(key);
    if (value == null) {
      missing(key, expected);
      return Optional.empty();
    }
    if (!value.isTextual()) {
      problem(key, "not a string", expected);
      return Optional.empty();
    }
    if (value.textValue().isBlank()) {
      problem(key, "empty", expected);
      return Optional.empty();
    }
    return Optional.of(value.textValue());
  }

  boolean bool(String key, boolean defaultValue) {
    JsonNode value = value(key);
    if (value == null) {
      return defaultValue;
    }
    if (!value.isBoolean()) {
      problem(key, "not a boolean", "true or false");
      return defaultValue;
    }
    return value.booleanValue();
  }

  int integer(String key, int defaultValue, int min, int max) {
    return optionalInteger(key, min, max).orElse(defaultValue);
  }

  int requiredInteger(String key, int min, int max) {
    if (value(key) == null) {
      missing(key, "an integer " + range(min, max));
      return min;
    }
    return optionalInteger(key, min, max).orElse(min);
  }

  Optional<Integer> optionalInteger(String key, int min, int max) {
    JsonNode value = value(key);
    if (value == null) {
      return Optional.empty();
    }
    if (!value.isIntegralNumber()) {
      problem(key, "not an integer", "an integer " + range(min, max));
      return Optional.empty();
    }
    if (!value.canConvertToInt() || value.intValue() < min || value.intValue() > max) {
      problem(key, "out of range", range(min, max));
      return Optional.empty();
    }
    return Optional.of(value.intValue());
  }

  /** A number above zero, integer or not; {@code description} says what it counts, e.g. "a number of vCPUs > 0". */
  double positiveNumber(String key, double defaultValue, String description) {
    JsonNode value = value(key);
    if (value == null) {
      return defaultValue;
    }
    if (!value.isNumber()) {
      problem(key, "not a number", description);
      return defaultValue;
    }
    double number = value.doubleValue();
    if (!(number > 0) || Double.isInfinite(number)) {
      problem(key, "out of range", description);
      return defaultValue;
    }
    return number;
  }

  /** A duration written as whole seconds. */
  Duration seconds(String key, long defaultSeconds, int minSeconds) {
    JsonNode value = value(key);
    if (value == null) {
      return Duration.ofSeconds(defaultSeconds);
    }
    String expected = "whole seconds " + range(minSeconds, Integer.MAX_VALUE);
    if (!value.isIntegralNumber()) {
      problem(key, "not a whole number of seconds", expected);
      return Duration.ofSeconds(defaultSeconds);
    }
    if (!value.canConvertToInt() || value.intValue() < minSeconds) {
      problem(key, "out of range", expected);
      return Duration.ofSeconds(defaultSeconds);
    }
    return Duration.ofSeconds(value.intValue());
  }

  /** An HTTP path on the user's server; absent means "probe by TCP connect" for health and ready checks. */
  Optional<String> endpoint(String key) {
    return value(key) == null ? Optional.empty() : checkedEndpoint(key);
  }

  Optional<String> requiredEndpoint(String key) {
    if (value(key) == null) {
      missing(key, ENDPOINT);
      return Optional.empty();
    }
    return checkedEndpoint(key);
  }

  private Optional<String> checkedEndpoint(String key) {
    Optional<String> endpoint = requiredString(key, ENDPOINT);
    if (endpoint.isEmpty()) {
      return endpoint;
    }
    String text = endpoint.get();
    if (!text.startsWith("/")) {
      problem(key, "does not start with '/'", ENDPOINT);
      return Optional.empty();
    }
    if (text.chars().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c))) {
      problem(key, "contains a space or control character", ENDPOINT);
      return Optional.empty();
    }
    return endpoint;
  }

  /** The app's name from {@code key}, or else {@code fallbackName} (from the folder); either must be a valid name. */
  String appName(String key, String fallbackName) {
    boolean written = value(key) != null;
    Optional<String> configured = string(key, AppId.NAME_RULE);
    if (configured.isPresent()) {
      if (!AppId.NAME.matcher(configured.get()).matches()) {
        problem(key, "not a valid app name", AppId.NAME_RULE);
      }
      return configured.get();
    }
    if (!written && !AppId.NAME.matcher(fallbackName).matches()) {
      report(key, null, "missing, and the folder name " + ValueText.quoted(fallbackName) + " is not a valid app name",
          AppId.NAME_RULE);
    }
    return fallbackName;
  }

  /**
   * A notice for a key that Sluice understands but does not act on, when the file sets it to something non-empty:
   * {@code key lists a, b: reason} for a list or table, {@code key = value: reason} otherwise.
   */
  void noticeUnused(String key, String reason) {
    JsonNode value = value(key);
    boolean empty = value == null
        || (value.isContainerNode() && value.isEmpty())
        || (value.isTextual() && value.textValue().isBlank());
    if (empty) {
      return;
    }
    // A table is named by its header, as the user wrote it: [cerebrium.dependencies.pip] lists numpy, ...
    String name = value.isObject() ? tree.spelling().table(append(key)) : spell(key);
    String what = value.isContainerNode() ? " lists " + names(value) : " = " + ValueText.of(value);
    notice(name + what + ": " + reason);
  }

  private static String names(JsonNode container) {
    List<String> names = new ArrayList<>();
    if (container.isObject()) {
      container.fieldNames().forEachRemaining(name -> names.add(ValueText.readable(name)));
    } else {
      container.elements().forEachRemaining(
          e -> names.add(e.isTextual() ? ValueText.readable(e.textValue()) : ValueText.of(e)));
    }
    return names.stream().collect(Collectors.joining(", "));
  }

  void notice(String sentence) {
    findings.notice(sentence);
  }

  /** A problem with the value at {@code key}, shown as the file has it (unless this table holds secrets). */
  void problem(String key, String problem, String expected) {
    JsonNode value = node == null ? null : node.get(key);
    report(key, value == null || hidesValues ? null : ValueText.of(value), problem, expected);
  }

  void missing(String key, String expected) {
    report(key, null, "missing", expected);
  }

  /** This whole table is missing from the file. */
  void missingTable(String expected) {
    findings.problem(new ConfigProblem(spelled(), null, "missing", expected, tree.line(path)));
  }

  private void report(String key, String valueText, String problem, String expected) {
    findings.problem(new ConfigProblem(spell(key), valueText, problem, expected, tree.line(append(key))));
  }

  /** {@code key} as the file's format writes it, inside this table. */
  String spell(String key) {
    return tree.spelling().key(path, key);
  }

  /** This table's own name as the file's format writes it. */
  String spelled() {
    return tree.spelling().table(path);
  }

  /** Lists, in file order, every key of this table and of the tables opened from it that nothing read. */
  void reportUnknownKeys() {
    if (node == null) {
      return;
    }
    node.fieldNames().forEachRemaining(key -> {
      if (!readKeys.contains(key)) {
        findings.ignoredKey(KeySpelling.dotted(path, key));
      } else if (openedTables.containsKey(key)) {
        openedTables.get(key).reportUnknownKeys();
      }
    });
  }

  private List<String> append(String key) {
    List<String> longer = new ArrayList<>(path);
    longer.add(key);
    return List.copyOf(longer);
  }

  private static String range(int min, int max) {
    return max == Integer.MAX_VALUE ? ">= " + min : min + ".." + max;
  }
}

package io.sluice.config;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/** How each format writes a key, so that messages name keys the way the user's file does. */
enum KeySpelling {
  /** {@code [cerebrium.runtime.custom] port}: the table header, then the key. */
  TOML("table") {
    @Override
    String key(List<String> table, String key) {
      return table.isEmpty() ? bare(key) : table(table) + " " + bare(key);
    }

    @Override
    String table(List<String> table) {
      return "[" + String.join(".", table.stream().map(KeySpelling::bare).toList()) + "]";
    }
  },
  /** {@code docker_server.server_port}: the path of keys from the top of the file. */
  YAML("map") {
    @Override
    String key(List<String> table, String key) {
      return table.isEmpty() ? ValueText.readable(key) : table(table) + "." + ValueText.readable(key);
    }

    @Override
    String table(List<String> table) {
      return String.join(".", table.stream().map(ValueText::readable).toList());
    }
  };

  private static final Pattern TOML_BARE_KEY = Pattern.compile("[A-Za-z0-9_-]+");

  private final String tableWord;

  KeySpelling(String tableWord) {
    this.tableWord = tableWord;
  }

  abstract String key(List<String> table, String key);

  abstract String table(List<String> table);

  /** What this format calls a group of keys: "table" or "map". */
  String tableWord() {
    return tableWord;
  }

  /** The plain dotted form used for {@link LoadedApp#ignoredKeys()}, the same in both formats. */
  static String dotted(List<String> table, String key) {
    List<String> parts = new ArrayList<>(table);
    parts.add(key);
    return String.join(".", parts);
  }

  private static String bare(String key) {
    return TOML_BARE_KEY.matcher(key).matches() ? key : ValueText.quoted(key);
  }
}

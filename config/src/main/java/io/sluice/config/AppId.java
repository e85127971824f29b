package io.sluice.config;

import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/** The address of an app: the project it belongs to and its name, as they appear in {@code /v4/{project}/{app}/...}. */
public record AppId(String project, String name) {

  /** DNS-label rules, so that an app id is also usable as a Kubernetes name and a URL segment without escaping. */
  public static final Pattern NAME = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
  public static final String DEFAULT_PROJECT = "local";

  public AppId {
    Objects.requireNonNull(project, "project");
    Objects.requireNonNull(name, "name");
    if (!NAME.matcher(project).matches()) {
      throw new IllegalArgumentException("project: " + project + " (expected: " + NAME_RULE + ")");
    }
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("name: " + name + " (expected: " + NAME_RULE + ")");
    }
  }

  public static final String NAME_RULE = "1 to 63 lowercase letters, digits or '-', starting and ending with a letter or digit";

  /**
   * Turns any text (a folder name, say) into a valid name: lowercased, every character outside {@code [a-z0-9-]}
   * replaced by {@code '-'}, {@code '-'} trimmed from both ends, cut to 63 characters. Empty when nothing is left.
   */
  public static Optional<String> nameFrom(String text) {
    Objects.requireNonNull(text, "text");
    String name = text.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
    name = trimDashes(name);
    if (name.length() > 63) {
      name = trimDashes(name.substring(0, 63));
    }
    return name.isEmpty() ? Optional.empty() : Optional.of(name);
  }

  private static String trimDashes(String text) {
    return text.replaceAll("^-+|-+$", "");
  }

  /** {@code project/name}: the key used in maps, logs and URLs. */
  public String key() {
    return project + "/" + name;
  }

  @Override
  public String toString() {
    return key();
  }
}

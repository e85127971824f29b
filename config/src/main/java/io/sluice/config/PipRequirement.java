package io.sluice.config;

import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One entry of Cerebrium's {@code [cerebrium.dependencies.pip]} table, {@code name = "version spec"}, as the
 * requirement line pip installs: {@code "latest"} (or {@code ""}) is the bare name, a specifier is appended
 * ({@code torch = ">=2.0"} is {@code torch>=2.0}), a bare version is pinned ({@code numpy = "1.26.4"} is
 * {@code numpy==1.26.4}) and a VCS or HTTPS URL becomes a direct reference ({@code name @ git+https://...}).
 *
 * <p>The lines reach pip as arguments, never through a shell, and a name cannot start with {@code -}, so no entry can
 * turn into a pip option such as {@code --index-url}.
 */
final class PipRequirement {

  static final String NAME_RULE = "a package name as PyPI spells it (letters, digits, '.', '_', '-'), optionally"
      + " with extras such as transformers[torch]";
  static final String SPEC_RULE = "\"latest\", a version such as \"1.26.4\", specifiers such as \">=2.0\" or"
      + " \">=2.0,<3\", or a git+https:// or https:// URL";
  static final String LINE_RULE = "a pip requirement line such as torch>=2.0, numpy==1.26.4 or fastapi";

  private static final String LATEST = "latest";
  private static final String NAME = "[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?";
  private static final String EXTRAS = "(?:\\[\\s*" + NAME + "(?:\\s*,\\s*" + NAME + ")*\\s*\\])?";
  private static final String VERSION = "[A-Za-z0-9.*+!_-]+";
  private static final String SPECIFIER = "(?:===|==|~=|!=|<=|>=|<|>)\\s*" + VERSION;
  private static final String SPECIFIERS = SPECIFIER + "(?:\\s*,\\s*" + SPECIFIER + ")*";
  private static final String URL = "(?:git\\+)?https://[^\\s;]+";
  private static final Pattern NAME_WITH_EXTRAS = Pattern.compile(NAME + EXTRAS);
  private static final Pattern BARE_VERSION = Pattern.compile("[0-9][A-Za-z0-9.*+!_-]*");
  private static final Pattern LINE = Pattern.compile(
      NAME + EXTRAS + "(?:\\s*" + SPECIFIERS + "|\\s+@\\s+" + URL + ")?");

  private PipRequirement() {}

  static boolean validName(String name) {
    return NAME_WITH_EXTRAS.matcher(name).matches();
  }

  /** The requirement line for {@code name = "spec"}; empty when the spec is none of the forms above. */
  static Optional<String> line(String name, String spec) {
    String written = spec.strip();
    String line;
    if (written.isEmpty() || written.equalsIgnoreCase(LATEST)) {
      line = name;
    } else if (BARE_VERSION.matcher(written).matches()) {
      line = name + "==" + written;
    } else if (written.startsWith("git+") || written.startsWith("https://")) {
      line = name + " @ " + written;
    } else {
      line = name + written;
    }
    return valid(line) ? Optional.of(line) : Optional.empty();
  }

  static boolean valid(String line) {
    return LINE.matcher(line).matches();
  }
}

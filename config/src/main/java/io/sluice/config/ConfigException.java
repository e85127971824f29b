package io.sluice.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/** A config file, or an app folder, that cannot be used; the message lists every problem found, one per line. */
public final class ConfigException extends Exception {

  private final Path file;
  private final List<ConfigProblem> problems;

  public ConfigException(Path file, List<ConfigProblem> problems) {
    super(render(file, problems));
    this.file = file;
    this.problems = List.copyOf(problems);
    if (this.problems.isEmpty()) {
      throw new IllegalArgumentException("problems: [] (expected: at least one)");
    }
  }

  public ConfigException(Path file, ConfigProblem problem) {
    this(file, List.of(problem));
  }

  /** The config file, or the app folder when no file could be chosen. */
  public Path file() {
    return file;
  }

  public List<ConfigProblem> problems() {
    return problems;
  }

  private static String render(Path file, List<ConfigProblem> problems) {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(problems, "problems");
    return problems.stream().map(problem -> problem.render(file)).collect(Collectors.joining("\n"));
  }
}

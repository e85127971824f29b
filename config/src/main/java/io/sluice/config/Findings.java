package io.sluice.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What reading one file turned up besides the app: problems, keys Sluice does not know, and notices. */
final class Findings {

  private final List<ConfigProblem> problems = new ArrayList<>();
  private final List<String> ignoredKeys = new ArrayList<>();
  private final List<String> notices = new ArrayList<>();

  void problem(ConfigProblem problem) {
    problems.add(problem);
  }

  void ignoredKey(String dottedKey) {
    ignoredKeys.add(dottedKey);
  }

  void notice(String sentence) {
    notices.add(sentence);
  }

  /** A mark to compare with {@link #problemsSince} so that a part is built only from values that were all valid. */
  int mark() {
    return problems.size();
  }

  boolean problemsSince(int mark) {
    return problems.size() > mark;
  }

  void throwIfAny(Path file) throws ConfigException {
    if (!problems.isEmpty()) {
      throw new ConfigException(file, problems);
    }
  }

  LoadedApp loaded(AppSpec spec, Path file) {
    return new LoadedApp(spec, file, ignoredKeys, notices);
  }
}

package io.sluice.dataplane.secrets;

import io.sluice.cluster.state.OwnerOnlyFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The node's secret values, per project, as owner-only files under {@code <state>/secrets/<project>/<name>}.
 *
 * <p>Values come in through the admin API and go out only into replicas' secret folders; they are never returned by
 * the API, logged or put in an error. Every method is blocking: call off the event loop.
 */
public final class SecretStore {

  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");

  private final Path root;

  public SecretStore(Path stateDir) {
    this.root = stateDir.resolve("secrets");
  }

  public void put(String project, String name, String value) throws IOException {
    checkName(name);
    Path dir = root.resolve(project);
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    OwnerOnlyFiles.write(dir.resolve(name), value);
  }

  public boolean delete(String project, String name) throws IOException {
    checkName(name);
    return Files.deleteIfExists(root.resolve(project).resolve(name));
  }

  public List<String> names(String project) throws IOException {
    return values(project).keySet().stream().toList();
  }

  public Map<String, String> values(String project) throws IOException {
    Path dir = root.resolve(project);
    Map<String, String> values = new LinkedHashMap<>();
    if (!Files.isDirectory(dir)) {
      return values;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path file : files.sorted().toList()) {
        String name = file.getFileName().toString();
        if (NAME.matcher(name).matches() && Files.isRegularFile(file)) {
          values.put(name, Files.readString(file));
        }
      }
    }
    return values;
  }

  public static void checkName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("secret name: " + name
          + " (expected: 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-')");
    }
  }
}

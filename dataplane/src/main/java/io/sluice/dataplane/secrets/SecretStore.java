package io.sluice.dataplane.secrets;

import io.sluice.cluster.state.FleetMap;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The fleet's secret values, per project: a fleet map of {@code <project>/<name>}, so that a replica started on any
 * node gets them. Every node keeps them in memory and in owner-only files under {@code <state>/fleet/secrets/}.
 *
 * <p>Values come in through the admin API and go out only into replicas' secret folders; they are never returned by
 * the API, logged or put in an error. Writes wait for the fleet: call them off the event loop.
 */
public final class SecretStore {

  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");

  private final FleetMap fleet;

  public SecretStore(FleetMap fleet) {
    this.fleet = fleet;
  }

  /**
   * Starts the fleet's map; a node upgraded from a single-node state folder brings in the values of its old
   * {@code <state>/secrets/} folder, which it then deletes. Blocking.
   */
  public void start(Path stateDir) throws IOException {
    FleetMap.await(fleet.start());
    Path legacy = stateDir.resolve("secrets");
    if (!Files.isDirectory(legacy)) {
      return;
    }
    try (Stream<Path> projects = Files.list(legacy)) {
      for (Path project : projects.filter(Files::isDirectory).toList()) {
        try (Stream<Path> files = Files.list(project)) {
          for (Path file : files.filter(Files::isRegularFile).toList()) {
            String key = project.getFileName() + "/" + file.getFileName();
            if (NAME.matcher(file.getFileName().toString()).matches() && fleet.entry(key).isEmpty()) {
              FleetMap.await(fleet.put(key, Files.readString(file)));
            }
            Files.delete(file);
          }
        }
        Files.delete(project);
      }
    }
    Files.delete(legacy);
  }

  public void put(String project, String name, String value) throws IOException {
    checkName(name);
    FleetMap.await(fleet.put(project + "/" + name, value));
  }

  public boolean delete(String project, String name) throws IOException {
    checkName(name);
    if (fleet.get(project + "/" + name).isEmpty()) {
      return false;
    }
    FleetMap.await(fleet.remove(project + "/" + name));
    return true;
  }

  public List<String> names(String project) {
    return values(project).keySet().stream().toList();
  }

  public Map<String, String> values(String project) {
    Map<String, String> values = new LinkedHashMap<>();
    String prefix = project + "/";
    fleet.values().forEach((key, value) -> {
      if (key.startsWith(prefix)) {
        values.put(key.substring(prefix.length()), value);
      }
    });
    return values;
  }

  public static void checkName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("secret name: " + name
          + " (expected: 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-')");
    }
  }
}

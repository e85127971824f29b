package io.sluice.dataplane.launcher;

import io.sluice.config.AppId;
import io.sluice.config.ConfigFormat;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sluice deploy DIR}: uploads the app in DIR to a node and follows it until it is ready (exit 0) or has
 * failed (exit 1, with the replica's last log lines).
 */
@Command(name = "deploy", mixinStandardHelpOptions = true,
    description = "Deploy the app in DIR (its cerebrium.toml or config.yaml beside its files) and wait until it is "
        + "ready.")
final class DeployCommand implements Callable<Integer> {

  private static final List<String> SKIPPED = List.of(".git", "__pycache__", ".venv", "node_modules");

  @Spec
  CommandSpec spec;

  @Mixin
  NodeAddress node;

  @Parameters(paramLabel = "DIR", description = "The app's folder.")
  Path dir;

  @Option(names = "--project", description = "Project (default: local).")
  String project;

  @Option(names = "--name", description = "App name (default: from the config, else the folder's name).")
  String name;

  @Option(names = "--timeout", defaultValue = "PT15M",
      description = "How long to wait for the app to be ready, ISO-8601 (default: ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(names = "--no-wait", description = "Return once the node has accepted the app.")
  boolean noWait;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (!Files.exists(dir.resolve(ConfigFormat.CEREBRIUM_TOML.fileName()))
        && !Files.exists(dir.resolve(ConfigFormat.TRUSS_YAML.fileName()))) {
      err.printf("%s has no cerebrium.toml or config.yaml: put the app's config beside its files%n", dir);
      return 1;
    }
    AdminClient admin = node.client();
    Path archive = Files.createTempFile("sluice-deploy-", ".zip");
    try {
      zip(dir, archive);
      StringBuilder query = new StringBuilder("?")
          .append(AdminClient.query("dir", dir.toAbsolutePath().normalize().getFileName().toString()));
      if (project != null) {
        query.append('&').append(AdminClient.query("project", project));
      }
      if (name != null) {
        query.append('&').append(AdminClient.query("name", name));
      }
      AdminClient.Answer answer = admin.postFile("/v1/apps" + query, archive, "application/zip");
      if (!answer.ok()) {
        err.println("Deploy refused: " + answer.errorMessage());
        return 1;
      }
      JsonObject app = answer.json();
      AppId id = new AppId(app.getString("project"), app.getString("name"));
      out.printf("Deploying %s from %s%n", id, app.getString("config"));
      printEach(out, "  note: ", app.getJsonArray("notices"));
      printEach(out, "  ignored key: ", app.getJsonArray("ignored_keys"));
      printEach(err, "  warning: ", app.getJsonArray("warnings"));
      out.flush();
      return noWait ? 0 : follow(admin, id, out, err);
    } finally {
      Files.deleteIfExists(archive);
    }
  }

  private int follow(AdminClient admin, AppId id, PrintWriter out, PrintWriter err) throws Exception {
    Instant deadline = Instant.now().plus(timeout);
    Map<String, String> shown = new HashMap<>();
    while (Instant.now().isBefore(deadline)) {
      AdminClient.Answer answer = admin.get("/v1/apps/" + id.key());
      if (!answer.ok()) {
        err.println("The app went away while deploying: " + answer.errorMessage());
        return 1;
      }
      JsonObject app = answer.json();
      for (Object each : app.getJsonArray("replicas")) {
        JsonObject replica = (JsonObject) each;
        String line = replica.getString("state") + ": " + replica.getString("detail");
        if (!line.equals(shown.put(replica.getString("name"), line))) {
          out.printf("  replica %s %s%n", replica.getString("name"), line);
          out.flush();
        }
      }
      switch (app.getString("state")) {
        case "ready" -> {
          out.printf("Ready: curl %spredict%n", app.getString("url"));
          out.flush();
          return 0;
        }
        case "failed" -> {
          err.printf("Deploy of %s failed: %s%n", id, app.getString("reason"));
          AdminClient.Answer logs = admin.get("/v1/apps/" + id.key() + "/logs?tail=20");
          if (logs.ok()) {
            err.println("Last lines of the replica's log:");
            logs.body().lines().forEach(line -> err.println("  | " + line));
          }
          err.flush();
          return 1;
        }
        default -> Thread.sleep(200);
      }
    }
    err.printf("%s is not ready after %s; see `bin/sluice logs %s`%n", id, timeout, id);
    return 2;
  }

  private static void printEach(PrintWriter out, String prefix, JsonArray lines) {
    if (lines != null) {
      lines.forEach(line -> out.println(prefix + line));
    }
  }

  /** Zips the folder, following links, leaving out version-control and cache folders. */
  static void zip(Path folder, Path archive) throws IOException {
    Path root = folder.toAbsolutePath().normalize();
    try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(archive));
         Stream<Path> paths = Files.walk(root, FileVisitOption.FOLLOW_LINKS)) {
      for (Path path : paths.sorted().toList()) {
        Path relative = root.relativize(path);
        if (relative.toString().isEmpty() || Files.isDirectory(path) || skipped(relative)) {
          continue;
        }
        zip.putNextEntry(new ZipEntry(relative.toString().replace('\\', '/')));
        Files.copy(path, zip);
        zip.closeEntry();
      }
    }
  }

  private static boolean skipped(Path relative) {
    for (Path part : relative) {
      if (SKIPPED.contains(part.toString())) {
        return true;
      }
    }
    return false;
  }
}

package io.sluice.dataplane.launcher;

import io.sluice.dataplane.auth.AdminToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code --node} and {@code --state} options that every client command shares, and the admin token they find. */
final class NodeAddress {

  @Option(names = "--node", paramLabel = "URL",
      description = "Admin URL of the node (default: $SLUICE_NODE, else http://127.0.0.1:9090).")
  String url;

  @Option(names = "--state", paramLabel = "DIR",
      description = "The node's state folder, where its admin token is (default: $SLUICE_STATE, else ~/.sluice). "
          + "$SLUICE_ADMIN_TOKEN, when set, is the token instead.")
  Path state;

  AdminClient client() throws IOException {
    String chosen = url != null ? url : System.getenv().getOrDefault("SLUICE_NODE", "http://127.0.0.1:9090");
    return new AdminClient(chosen, adminToken());
  }

  private String adminToken() throws IOException {
    String fromEnv = System.getenv(AdminToken.ENV);
    if (state == null && fromEnv != null && !fromEnv.isBlank()) {
      return fromEnv.trim();
    }
    Path dir = state != null ? state
        : Path.of(System.getenv().getOrDefault("SLUICE_STATE", System.getProperty("user.home") + "/.sluice"));
    Path file = dir.resolve(AdminToken.FILE_NAME);
    if (!Files.isReadable(file)) {
      return null;
    }
    return Files.readString(file).trim();
  }
}

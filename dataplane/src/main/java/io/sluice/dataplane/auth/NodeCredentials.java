package io.sluice.dataplane.auth;

import io.sluice.config.AppId;
import io.sluice.cluster.state.FleetMap;
import io.sluice.cluster.state.OwnerOnlyFiles;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's credentials: the projects' API keys and the key that signs replica tokens, which are the fleet's (in its
 * credentials map), and the admin token, which is the node's own (its state folder, or {@code SLUICE_ADMIN_TOKEN}).
 *
 * <p>A node that starts in a fleet with no API key at all makes one for project {@code local} and leaves it, owner-only, in
 * {@code <state>/local-api-key}, so that a newcomer can call the example apps at once. It is a key like any other:
 * revoke it through the admin API, and delete the file, once real keys exist.
 */
public record NodeCredentials(ApiKeyStore apiKeys, ReplicaTokens replicaTokens, AdminToken adminToken) {

  public static final String STARTER_KEY_FILE = "local-api-key";

  private static final Logger log = LoggerFactory.getLogger(NodeCredentials.class);

  /** Starts the fleet's credentials map and reads it. Blocking: waits for the fleet, reads and writes files. */
  public static NodeCredentials open(Vertx vertx, Path stateDir, Optional<String> adminToken, InstantSource clock,
      FleetMap credentials) throws IOException {
    ApiKeyStore keys = ApiKeyStore.over(credentials, clock);
    FleetMap.await(credentials.start());
    keys.load(stateDir);
    if (keys.isEmpty()) {
      ApiKeyStore.Created starter = keys.create(AppId.DEFAULT_PROJECT, "starter");
      Path file = stateDir.resolve(STARTER_KEY_FILE);
      OwnerOnlyFiles.write(file, starter.secretKey() + "\n");
      log.info("Made an API key for project {}: it is in {} (owner-only)", AppId.DEFAULT_PROJECT, file);
    }
    return new NodeCredentials(keys, ReplicaTokens.open(vertx, stateDir, credentials),
        AdminToken.open(stateDir, adminToken));
  }
}

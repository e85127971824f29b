package io.sluice.dataplane.replica.local;

import io.sluice.autoscaler.replica.ReplicaId;
import java.nio.file.Path;

/**
 * Where a local replica keeps its things under the node's state folder:
 * {@code replicas/<project>/<app>/<replica>/} holds {@code app/} (its own copy of the app's files, its working
 * folder), {@code secrets/} (owner-only), {@code replica.log} and its older rotated files {@code replica.log.1}, ...
 * (stdout and stderr, see {@link ReplicaLogs}) and {@code replica.pid}.
 */
public record ReplicaFolders(Path root) {

  static final String WORK_DIR = "app";
  static final String SECRETS_DIR = "secrets";
  private static final String LOG_FILE = "replica.log";

  public static ReplicaFolders under(Path stateDir) {
    return new ReplicaFolders(stateDir.resolve("replicas"));
  }

  public Path of(ReplicaId id) {
    return root.resolve(id.app().project()).resolve(id.app().name()).resolve(id.name());
  }

  public Path workDir(ReplicaId id) {
    return of(id).resolve(WORK_DIR);
  }

  public Path secretsDir(ReplicaId id) {
    return of(id).resolve(SECRETS_DIR);
  }

  public Path logFile(ReplicaId id) {
    return of(id).resolve(LOG_FILE);
  }

  String logFileName() {
    return LOG_FILE;
  }

  public Path pidFile(ReplicaId id) {
    return of(id).resolve("replica.pid");
  }
}

package io.sluice.dataplane.replica.local;

import io.sluice.autoscaler.replica.ReplicaId;
import java.nio.file.Path;

/**
 * Where a local replica keeps its things under the node's state folder:
 * {@code replicas/<project>/<app>/<replica>/} holds {@code app/} (its own copy of the app's files, its working
 * folder), {@code secrets/} (owner-only), {@code replica.log} (stdout and stderr) and {@code replica.pid}.
 */
public record ReplicaFolders(Path root) {

  public static ReplicaFolders under(Path stateDir) {
    return new ReplicaFolders(stateDir.resolve("replicas"));
  }

  public Path of(ReplicaId id) {
    return root.resolve(id.app().project()).resolve(id.app().name()).resolve(id.name());
  }

  public Path workDir(ReplicaId id) {
    return of(id).resolve("app");
  }

  public Path secretsDir(ReplicaId id) {
    return of(id).resolve("secrets");
  }

  public Path logFile(ReplicaId id) {
    return of(id).resolve("replica.log");
  }

  public Path pidFile(ReplicaId id) {
    return of(id).resolve("replica.pid");
  }
}

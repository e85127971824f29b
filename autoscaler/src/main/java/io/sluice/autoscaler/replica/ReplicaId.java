package io.sluice.autoscaler.replica;

import io.sluice.config.AppId;
import java.util.Objects;

/** One replica of one app; {@code name} is unique within the fleet (it names the replica's folder and logs). */
public record ReplicaId(AppId app, String name) {

  public ReplicaId {
    Objects.requireNonNull(app, "app");
    Objects.requireNonNull(name, "name");
    if (!name.matches("[a-z0-9][a-z0-9-]{0,80}")) {
      throw new IllegalArgumentException("name: " + name + " (expected: lowercase letters, digits and '-')");
    }
  }

  @Override
  public String toString() {
    return app.key() + "/" + name;
  }
}

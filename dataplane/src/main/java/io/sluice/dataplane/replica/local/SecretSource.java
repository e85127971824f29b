package io.sluice.dataplane.replica.local;

import io.sluice.config.AppSpec;
import java.util.Map;

/** The secret values a replica of an app gets as files, by name. Called off the event loop; may read files. */
@FunctionalInterface
public interface SecretSource {
  Map<String, String> secretsFor(AppSpec app);
}

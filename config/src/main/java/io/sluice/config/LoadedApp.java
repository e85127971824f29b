package io.sluice.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * An app read from its config file, with what the reader tolerated on the way.
 *
 * @param spec the app, under project {@link AppId#DEFAULT_PROJECT}; the deployer may move it with
 *     {@link AppSpec#withId}
 * @param configFile the file it was read from
 * @param ignoredKeys dotted keys present in the file that Sluice does not know (e.g.
 *     {@code cerebrium.runtime.custom.foo}), in file order; they are tolerated, not acted on
 * @param notices sentences about keys Sluice understood but does not act on (dependencies to install, a base image,
 *     a secret value written into the file), for the user to read once at deploy time
 */
public record LoadedApp(AppSpec spec, Path configFile, List<String> ignoredKeys, List<String> notices) {

  public LoadedApp {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(configFile, "configFile");
    ignoredKeys = List.copyOf(Objects.requireNonNull(ignoredKeys, "ignoredKeys"));
    notices = List.copyOf(Objects.requireNonNull(notices, "notices"));
  }
}

package io.sluice.config;

import java.time.Duration;
import java.util.Optional;

/** Sluice's own table, {@code [sluice]} in TOML and {@code sluice:} in YAML, for what neither format can say. */
final class SluiceExtension {

  static final long DEFAULT_REQUEST_TIMEOUT_SECONDS = 300;

  private SluiceExtension() {}

  /**
   * {@code disable_auth}: the app opens to anyone who can reach the node. Cerebrium says it in
   * {@code [cerebrium.deployment]}; Truss has no such key, so a Truss app says it here.
   */
  static boolean authDisabled(ConfigTable root) {
    return root.table("sluice").bool("disable_auth", false);
  }

  static Duration requestTimeout(ConfigTable root) {
    return root.table("sluice").seconds("request_timeout", DEFAULT_REQUEST_TIMEOUT_SECONDS, 1);
  }

  /**
   * {@code protocol}: what the user's server speaks. Empty when the key is absent, so that a Truss file can say it in
   * Baseten's own key instead, and when its value was refused (the problem is recorded).
   */
  static Optional<UpstreamProtocol> protocol(ConfigTable root) {
    ConfigTable sluice = root.table("sluice");
    Optional<String> name = sluice.string("protocol", UpstreamProtocol.configNames());
    Optional<UpstreamProtocol> protocol = name.flatMap(UpstreamProtocol::fromConfigName);
    if (name.isPresent() && protocol.isEmpty()) {
      sluice.problem("protocol", "unknown protocol", UpstreamProtocol.configNames());
    }
    return protocol;
  }
}

package io.sluice.config;

import java.time.Duration;

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
}

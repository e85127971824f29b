package io.sluice.config;

import java.time.Duration;

/** Sluice's own table, {@code [sluice]} in TOML and {@code sluice:} in YAML, for what neither format can say. */
final class SluiceExtension {

  static final long DEFAULT_REQUEST_TIMEOUT_SECONDS = 300;

  private SluiceExtension() {}

  static Duration requestTimeout(ConfigTable root) {
    return root.table("sluice").seconds("request_timeout", DEFAULT_REQUEST_TIMEOUT_SECONDS, 1);
  }
}

package io.sluice.config;

/** The two config files Sluice accepts, as the seeds write them. */
public enum ConfigFormat {
  /** Cerebrium's {@code cerebrium.toml} with a {@code [cerebrium.runtime.custom]} section. */
  CEREBRIUM_TOML("cerebrium.toml"),
  /** Baseten's Truss {@code config.yaml} with a {@code docker_server} section. */
  TRUSS_YAML("config.yaml");

  private final String fileName;

  ConfigFormat(String fileName) {
    this.fileName = fileName;
  }

  public String fileName() {
    return fileName;
  }
}

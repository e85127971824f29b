package io.sluice.config;

import java.util.Arrays;
import java.util.Optional;

/**
 * What the user's server speaks, so that the node talks to its replicas in it ({@code [sluice] protocol} in
 * {@code cerebrium.toml}, {@code sluice.protocol} or Baseten's {@code runtime.transport.kind} in a Truss
 * {@code config.yaml}).
 */
public enum UpstreamProtocol {
  /** The default: HTTP/1.1, over pooled keep-alive connections ({@code "http1"}). */
  HTTP1("http1"),
  /** HTTP/2 over cleartext with prior knowledge, requests multiplexed as streams on few connections ({@code "h2c"}). */
  H2C("h2c"),
  /** h2c with gRPC semantics: Sluice's own errors reach the client as gRPC statuses ({@code "grpc"}). */
  GRPC("grpc");

  private final String configName;

  UpstreamProtocol(String configName) {
    this.configName = configName;
  }

  /** The value as a config file writes it: {@code http1}, {@code h2c} or {@code grpc}. */
  public String configName() {
    return configName;
  }

  /** Whether the node speaks HTTP/2 to the replicas (and the per-replica limit counts streams). */
  public boolean http2() {
    return this == H2C || this == GRPC;
  }

  /** The protocol a config file names, compared exactly: the other keys are lower case and case-sensitive too. */
  static Optional<UpstreamProtocol> fromConfigName(String name) {
    return Arrays.stream(values()).filter(p -> p.configName.equals(name)).findFirst();
  }

  /** Every accepted config name, for error messages. */
  static String configNames() {
    return HTTP1.configName + ", " + H2C.configName + " or " + GRPC.configName;
  }
}

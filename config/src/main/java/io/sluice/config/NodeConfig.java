package io.sluice.config;

import java.util.List;
import java.util.Objects;

/** A node's {@code sluice.toml}: its node pools, the limits of its public port, and the token issuers it trusts. */
public record NodeConfig(List<NodePoolSpec> pools, ClientLimits limits, AuthSpec auth) {

  public NodeConfig {
    pools = List.copyOf(pools);
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(auth, "auth");
  }

  /** A node started without a {@code sluice.toml}. */
  public static NodeConfig defaults() {
    return new NodeConfig(NodeConfigReader.defaultPools(), ClientLimits.defaults(), AuthSpec.defaults());
  }
}

package io.sluice.config;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A node's {@code sluice.toml}: its node pools, the limits of its public port, the token issuers it trusts, and where on
 * a Kubernetes cluster each pool's pods land.
 *
 * @param placements by pool name, the pools that name a node selector or tolerations; a pool without an entry has
 *     {@link PoolPlacement#ANYWHERE}
 */
public record NodeConfig(List<NodePoolSpec> pools, ClientLimits limits, AuthSpec auth,
    Map<String, PoolPlacement> placements) {

  public NodeConfig {
    pools = List.copyOf(pools);
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(auth, "auth");
    placements = Map.copyOf(Objects.requireNonNull(placements, "placements"));
    for (String pool : placements.keySet()) {
      if (pools.stream().noneMatch(spec -> spec.name().equals(pool))) {
        throw new IllegalArgumentException("placements: " + pool + " (expected: the name of one of the pools)");
      }
    }
  }

  /** A node config whose pools say nothing about placement. */
  public NodeConfig(List<NodePoolSpec> pools, ClientLimits limits, AuthSpec auth) {
    this(pools, limits, auth, Map.of());
  }

  /** A node started without a {@code sluice.toml}. */
  public static NodeConfig defaults() {
    return new NodeConfig(NodeConfigReader.defaultPools(), ClientLimits.defaults(), AuthSpec.defaults());
  }

  /** Where the pool's pods land on a cluster; {@link PoolPlacement#ANYWHERE} when its table says nothing. */
  public PoolPlacement placement(String pool) {
    return placements.getOrDefault(pool, PoolPlacement.ANYWHERE);
  }
}

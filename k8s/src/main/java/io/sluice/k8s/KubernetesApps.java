package io.sluice.k8s;

import io.sluice.config.AppSpec;
import io.sluice.config.NodePoolSpec;
import io.sluice.config.PoolPlacement;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Renders the cluster objects of an app from the node's config: the node pool its GPU puts it in, with that pool's
 * node selector and tolerations, the image its config names, and where its pods fetch its files.
 */
public final class KubernetesApps {

  private final List<NodePoolSpec> pools;
  private final Map<String, PoolPlacement> placements;
  private final ArchiveFetch fetch;
  private final String publicUrl;

  /**
   * @param fleetUrl where pods fetch their app's files (the admin Service)
   * @param publicUrl where pods call other apps (the public Service), their {@code SLUICE_URL}
   */
  public KubernetesApps(List<NodePoolSpec> pools, Map<String, PoolPlacement> placements, String fleetUrl,
      String publicUrl) {
    this.pools = List.copyOf(Objects.requireNonNull(pools, "pools"));
    this.placements = Map.copyOf(Objects.requireNonNull(placements, "placements"));
    this.fetch = ArchiveFetch.from(fleetUrl);
    this.publicUrl = Objects.requireNonNull(publicUrl, "publicUrl");
  }

  /**
   * @throws IllegalArgumentException when no pool has the app's GPU (naming the pools there are), or the app cannot
   *     run on a cluster as configured (a Truss app without {@code base_image.image})
   */
  public AppObjects objects(AppSpec app) {
    NodePoolSpec pool = pools.stream().filter(p -> p.gpu().equals(app.hardware().gpu())).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("app " + app.id() + " asks for "
            + app.hardware().gpu().map(Object::toString).orElse("no GPU") + " and no pool has it (pools: "
            + pools.stream().map(p -> p.name() + " " + p.gpu().map(Object::toString).orElse("CPU")).toList()
            + "); add a [[pools]] entry with that gpu to the node's sluice.toml"));
    PoolPlacement placement = placements.getOrDefault(pool.name(), PoolPlacement.ANYWHERE);
    return AppObjects.forCluster(app, AppObjects.nodePool(pool, placement), fetch).withFleetUrl(publicUrl);
  }
}

package io.sluice.k8s;

import io.fabric8.kubernetes.client.Config;
import io.sluice.config.PoolPlacement;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How a node runs replicas as pods of a Kubernetes cluster.
 *
 * @param namespace where the apps' Deployments, pods and Secrets live (the fleet's own, by default)
 * @param adoptionWindow how long a pod that no replica claims is kept, for a node taking over to claim it
 * @param fleetUrl where pods fetch their app's files from the fleet (the cluster-internal admin Service)
 * @param publicUrl where pods call other apps through the fleet (the public Service): their {@code SLUICE_URL}
 * @param placements by pool name, the node selector and tolerations that put a pod in that pool
 * @param client how to reach the API server; empty to find out as kubectl and fabric8 do (in a pod: its service
 *     account; elsewhere: the kubeconfig)
 */
public record KubernetesOptions(String namespace, Duration adoptionWindow, String fleetUrl, String publicUrl,
    Map<String, PoolPlacement> placements, Optional<Config> client) {

  public static final Duration DEFAULT_ADOPTION_WINDOW = Duration.ofSeconds(60);

  public KubernetesOptions {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(adoptionWindow, "adoptionWindow");
    Objects.requireNonNull(fleetUrl, "fleetUrl");
    Objects.requireNonNull(publicUrl, "publicUrl");
    Objects.requireNonNull(client, "client");
    placements = Map.copyOf(Objects.requireNonNull(placements, "placements"));
    if (namespace.isBlank()) {
      throw new IllegalArgumentException("namespace: empty (expected: a Kubernetes namespace)");
    }
    if (adoptionWindow.isNegative()) {
      throw new IllegalArgumentException("adoptionWindow: " + adoptionWindow + " (expected: >= 0)");
    }
  }

  /** Without the client config, which may hold a token. */
  @Override
  public String toString() {
    return "KubernetesOptions[namespace=" + namespace + ", adoptionWindow=" + adoptionWindow + ", fleetUrl="
        + fleetUrl + ", publicUrl=" + publicUrl + ", placements=" + placements + ", client=" + (client.isPresent() ? "(given)" : "(auto)") + "]";
  }
}

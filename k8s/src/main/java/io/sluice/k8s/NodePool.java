package io.sluice.k8s;

import io.sluice.config.AppId;
import io.sluice.config.GpuType;
import io.sluice.config.PoolPlacement.Toleration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A group of identical Kubernetes nodes that replicas are placed on, and how a pod asks to land there.
 *
 * <p>The labels and taints are the cloud's own, so they are given, not derived from the GPU type: on GKE
 * <pre>{@code
 * NodePool.gke("l4", GpuType.L4, "nvidia-l4", 1)
 * // nodeSelector cloud.google.com/gke-accelerator: nvidia-l4, tolerates nvidia.com/gpu=present:NoSchedule
 * }</pre>
 * and on EKS with Karpenter
 * <pre>{@code
 * NodePool.karpenter("h100", GpuType.H100, "h100", 8)
 * // nodeSelector karpenter.k8s.aws/instance-gpu-name: h100, tolerates nvidia.com/gpu (any value):NoSchedule
 * }</pre>
 *
 * @param name the pool's name in Sluice (a DNS label)
 * @param gpu the GPU model of every node; empty for a CPU pool
 * @param gpusPerNode GPUs on each node: at least 1 in a GPU pool, 0 in a CPU pool
 * @param nodeSelector the node labels a pod must match to land in this pool
 * @param tolerations the taints of this pool's nodes that its pods tolerate
 */
public record NodePool(
    String name,
    Optional<GpuType> gpu,
    int gpusPerNode,
    Map<String, String> nodeSelector,
    List<Toleration> tolerations) {

  public static final String GKE_ACCELERATOR_LABEL = "cloud.google.com/gke-accelerator";
  public static final String KARPENTER_GPU_NAME_LABEL = "karpenter.k8s.aws/instance-gpu-name";
  /** The taint key that GKE puts on GPU nodes, and that Karpenter GPU node pools conventionally use. */
  public static final String GPU_TAINT_KEY = "nvidia.com/gpu";

  public NodePool {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(gpu, "gpu");
    if (!AppId.NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("name: " + name + " (expected: " + AppId.NAME_RULE + ")");
    }
    if (gpu.isPresent() && gpusPerNode < 1) {
      throw new IllegalArgumentException("gpusPerNode: " + gpusPerNode + " (expected: >= 1 when a GPU is named)");
    }
    if (gpu.isEmpty() && gpusPerNode != 0) {
      throw new IllegalArgumentException("gpusPerNode: " + gpusPerNode + " (expected: 0 when no GPU is named)");
    }
    nodeSelector = Map.copyOf(Objects.requireNonNull(nodeSelector, "nodeSelector"));
    nodeSelector.forEach((key, value) -> {
      if (key.isBlank()) {
        throw new IllegalArgumentException("nodeSelector: blank label key (expected: a label key)");
      }
    });
    tolerations = List.copyOf(Objects.requireNonNull(tolerations, "tolerations"));
  }

  /**
   * A GKE GPU node pool: nodes carry {@code cloud.google.com/gke-accelerator: <accelerator>} and GKE taints them
   * {@code nvidia.com/gpu=present:NoSchedule}.
   *
   * @param accelerator GKE's accelerator name, e.g. {@code nvidia-l4}, {@code nvidia-tesla-t4}, {@code nvidia-h100-80gb}
   */
  public static NodePool gke(String name, GpuType gpu, String accelerator, int gpusPerNode) {
    return new NodePool(
        name,
        Optional.of(gpu),
        gpusPerNode,
        Map.of(GKE_ACCELERATOR_LABEL, accelerator),
        List.of(Toleration.equal(GPU_TAINT_KEY, "present", Toleration.Effect.NO_SCHEDULE)));
  }

  /**
   * An EKS node pool provisioned by Karpenter: nodes carry {@code karpenter.k8s.aws/instance-gpu-name: <gpuName>}.
   * Karpenter's own node pool defines the taint; the toleration accepts {@code nvidia.com/gpu} with any value so that
   * both {@code nvidia.com/gpu:NoSchedule} and {@code nvidia.com/gpu=true:NoSchedule} fit.
   *
   * @param gpuName the lowercase GPU name AWS reports, e.g. {@code l4}, {@code a10g}, {@code h100}
   */
  public static NodePool karpenter(String name, GpuType gpu, String gpuName, int gpusPerNode) {
    return new NodePool(
        name,
        Optional.of(gpu),
        gpusPerNode,
        Map.of(KARPENTER_GPU_NAME_LABEL, gpuName),
        List.of(Toleration.exists(GPU_TAINT_KEY, Toleration.Effect.NO_SCHEDULE)));
  }

  /** A pool of plain nodes, for apps that ask for no GPU. */
  public static NodePool cpu(String name, Map<String, String> nodeSelector) {
    return new NodePool(name, Optional.empty(), 0, nodeSelector, List.of());
  }
}

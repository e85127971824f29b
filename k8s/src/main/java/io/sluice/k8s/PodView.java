package io.sluice.k8s;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.sluice.autoscaler.replica.Endpoint;
import io.sluice.autoscaler.replica.ReplicaState;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What a pod says about the replica it serves: its state, why, where it answers and how often its container was
 * started again. Read from the pod's status as the kubelet and the scheduler write it; nothing here calls the API.
 *
 * @param endpoint the pod's IP and the app's port, once the pod has an IP
 */
public record PodView(ReplicaState state, String detail, Optional<Endpoint> endpoint, int restarts) {

  private static final List<String> WAITING_TROUBLE = List.of(
      "CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "InvalidImageName", "CreateContainerConfigError",
      "CreateContainerError", "RunContainerError");

  /** @param port the app's port in the pod, where the node sends its requests */
  public static PodView of(Pod pod, int port) {
    String name = pod.getMetadata().getName();
    var status = pod.getStatus();
    Optional<Endpoint> endpoint = Optional.ofNullable(status == null ? null : status.getPodIP())
        .filter(ip -> !ip.isBlank())
        .map(ip -> new Endpoint(ip, port));
    int restarts = 0;
    Optional<String> trouble = Optional.empty();
    if (status != null && status.getContainerStatuses() != null) {
      for (ContainerStatus container : status.getContainerStatuses()) {
        restarts += container.getRestartCount() == null ? 0 : container.getRestartCount();
        var waiting = container.getState() == null ? null : container.getState().getWaiting();
        if (waiting != null && WAITING_TROUBLE.contains(waiting.getReason())) {
          trouble = Optional.of(waiting.getReason() + (waiting.getMessage() == null ? "" : ": " + waiting.getMessage()));
        }
      }
    }
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      return new PodView(ReplicaState.STOPPING, "pod " + name + " is terminating", endpoint, restarts);
    }
    Optional<PodCondition> scheduled = condition(pod, "PodScheduled");
    if (scheduled.isPresent() && "False".equals(scheduled.get().getStatus())) {
      String why = Optional.ofNullable(scheduled.get().getMessage())
          .or(() -> Optional.ofNullable(scheduled.get().getReason())).orElse("not scheduled yet");
      return new PodView(ReplicaState.STARTING, "pending: pod " + name + " cannot be scheduled: " + why, endpoint,
          restarts);
    }
    String phase = status == null || status.getPhase() == null ? "Pending" : status.getPhase();
    if (phase.equals("Failed") || phase.equals("Succeeded")) {
      return new PodView(ReplicaState.RESTARTING, "pod " + name + " " + phase.toLowerCase(Locale.ROOT)
          + Optional.ofNullable(status.getReason()).map(reason -> " (" + reason + ")").orElse(""), endpoint,
          restarts);
    }
    Optional<PodCondition> ready = condition(pod, "Ready");
    if (ready.isPresent() && "True".equals(ready.get().getStatus()) && endpoint.isPresent()) {
      return new PodView(ReplicaState.READY, "pod " + name + " is ready", endpoint, restarts);
    }
    if (trouble.isPresent()) {
      return new PodView(ReplicaState.RESTARTING, "pod " + name + ": " + trouble.get(), endpoint, restarts);
    }
    return new PodView(ReplicaState.STARTING, "pod " + name + " is " + phase.toLowerCase(Locale.ROOT)
        + ", waiting to be ready", endpoint, restarts);
  }

  /** Whether the pod is ready now: the replicas to keep first when pods are handed out. */
  public static boolean isReady(Pod pod) {
    return condition(pod, "Ready").map(c -> "True".equals(c.getStatus())).orElse(false);
  }

  private static Optional<PodCondition> condition(Pod pod, String type) {
    if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
      return Optional.empty();
    }
    return pod.getStatus().getConditions().stream().filter(c -> type.equals(c.getType())).findFirst();
  }
}

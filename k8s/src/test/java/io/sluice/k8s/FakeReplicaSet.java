package io.sluice.k8s;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Does by hand, in a test, what Kubernetes' controllers and kubelet do on a real cluster and the mock API server does
 * not: keeps a Deployment's pod count at its scale (deleting, when it shrinks, the pods a ReplicaSet deletes first:
 * unready before ready, then the lowest {@code pod-deletion-cost}), and sets pods ready, unready or unschedulable.
 */
public final class FakeReplicaSet {

  private final KubernetesClient client;
  private final String namespace;
  private int serial;

  public FakeReplicaSet(KubernetesClient client, String namespace) {
    this.client = client;
    this.namespace = namespace;
  }

  /** Creates or deletes pods until the Deployment has as many as its scale asks; returns its pods. */
  public List<Pod> sync(String deployment) {
    Deployment d = client.apps().deployments().inNamespace(namespace).withName(deployment).get();
    int wanted = d.getSpec().getReplicas();
    List<Pod> pods = new ArrayList<>(pods(deployment));
    while (pods.size() < wanted) {
      Pod pod = new PodBuilder()
          .withNewMetadata()
          .withName(deployment + "-" + (++serial))
          .withNamespace(namespace)
          .withLabels(d.getSpec().getTemplate().getMetadata().getLabels())
          .withCreationTimestamp(Instant.ofEpochSecond(1_700_000_000L + serial).toString())
          .endMetadata()
          .withSpec(d.getSpec().getTemplate().getSpec())
          .withNewStatus().withPhase("Pending").endStatus()
          .build();
      pods.add(client.pods().inNamespace(namespace).resource(pod).create());
    }
    pods.sort(Comparator.comparing((Pod p) -> PodView.isReady(p)).thenComparing(FakeReplicaSet::deletionCost)
        .thenComparing(p -> p.getMetadata().getCreationTimestamp(), Comparator.reverseOrder()));
    while (pods.size() > wanted) {
      Pod victim = pods.remove(0);
      client.pods().inNamespace(namespace).withName(victim.getMetadata().getName()).delete();
    }
    return pods(deployment);
  }

  /** The Deployment's pods; none once it is deleted (the provider deletes a replaced version's as its last pod goes). */
  public List<Pod> pods(String deployment) {
    Deployment d = client.apps().deployments().inNamespace(namespace).withName(deployment).get();
    if (d == null) {
      return List.of();
    }
    Map<String, String> selector = d.getSpec().getSelector().getMatchLabels();
    return client.pods().inNamespace(namespace).withLabels(selector).list().getItems();
  }

  /** The kubelet's word: the pod runs at {@code ip} and is (or is no longer) ready. */
  public void ready(Pod pod, String ip, boolean ready) {
    editStatus(pod, p -> new PodBuilder(p)
        .editStatus()
        .withPhase("Running")
        .withPodIP(ip)
        .withConditions(
            new PodConditionBuilder().withType("PodScheduled").withStatus("True").build(),
            new PodConditionBuilder().withType("Ready").withStatus(ready ? "True" : "False").build())
        .endStatus()
        .build());
  }

  /** The scheduler's word: no node fits the pod. */
  public void unschedulable(Pod pod, String message) {
    editStatus(pod, p -> new PodBuilder(p)
        .editStatus()
        .withPhase("Pending")
        .withConditions(new PodConditionBuilder().withType("PodScheduled").withStatus("False")
            .withReason("Unschedulable").withMessage(message).build())
        .endStatus()
        .build());
  }

  /** As a kubelet does, writes the status again when the provider annotated the pod in between (409). */
  private void editStatus(Pod pod, UnaryOperator<Pod> edit) {
    for (int attempt = 1; ; attempt++) {
      try {
        client.pods().inNamespace(namespace).withName(pod.getMetadata().getName()).editStatus(edit);
        return;
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409 || attempt == 5) {
          throw e;
        }
      }
    }
  }

  private static int deletionCost(Pod pod) {
    return Optional.ofNullable(pod.getMetadata().getAnnotations())
        .map(a -> a.get(AppObjects.DELETION_COST_ANNOTATION))
        .map(Integer::parseInt)
        .orElse(0);
  }
}

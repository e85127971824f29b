package io.sluice.k8s;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.sluice.autoscaler.replica.Endpoint;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The ready pods behind Services that something else runs and scales (observe-only apps): a watch on each Service's
 * EndpointSlices (the {@code kubernetes.io/service-name} label), reporting the whole set of ready endpoints whenever it
 * changes, so that the node routes straight to pod IPs with its own per-replica limit, as for pods it runs itself.
 */
public final class ObservedServices {

  /** The label Kubernetes puts on every EndpointSlice of a Service. */
  public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

  private final KubernetesClient client;
  private final String namespace;

  public ObservedServices(KubernetesClient client, String namespace) {
    this.client = Objects.requireNonNull(client, "client");
    this.namespace = Objects.requireNonNull(namespace, "namespace");
  }

  /**
   * Watches one Service until the returned handle is closed. Blocking until the first list is in: call it off the
   * event loops.
   *
   * @param port the app's port: the endpoint port of that number when the Service has several, else its only one
   * @param onChange the ready endpoints by name (the pod's name, else its address), called on the watch's thread
   */
  public AutoCloseable watch(String service, int port, Consumer<Map<String, Endpoint>> onChange) {
    Map<String, EndpointSlice> slices = new HashMap<>();
    SharedIndexInformer<EndpointSlice> informer = client.discovery().v1().endpointSlices().inNamespace(namespace)
        .withLabel(SERVICE_NAME_LABEL, service)
        .inform(new ResourceEventHandler<>() {
          @Override
          public void onAdd(EndpointSlice slice) {
            changed(slice, false);
          }

          @Override
          public void onUpdate(EndpointSlice before, EndpointSlice slice) {
            changed(slice, false);
          }

          @Override
          public void onDelete(EndpointSlice slice, boolean finalStateUnknown) {
            changed(slice, true);
          }

          private void changed(EndpointSlice slice, boolean deleted) {
            Map<String, Endpoint> ready;
            synchronized (slices) {
              if (deleted) {
                slices.remove(slice.getMetadata().getName());
              } else {
                slices.put(slice.getMetadata().getName(), slice);
              }
              ready = readyEndpoints(slices.values(), port);
            }
            onChange.accept(ready);
          }
        }, 0);
    return informer::close;
  }

  /** The ready endpoints of a Service's slices, by name; an endpoint whose readiness is unknown counts as ready. */
  static Map<String, Endpoint> readyEndpoints(Iterable<EndpointSlice> slices, int port) {
    Map<String, Endpoint> ready = new TreeMap<>();
    for (EndpointSlice slice : slices) {
      Optional<Integer> slicePort = portOf(slice.getPorts(), port);
      if (slicePort.isEmpty() || slice.getEndpoints() == null) {
        continue;
      }
      for (io.fabric8.kubernetes.api.model.discovery.v1.Endpoint endpoint : slice.getEndpoints()) {
        boolean isReady = endpoint.getConditions() == null || endpoint.getConditions().getReady() == null
            || endpoint.getConditions().getReady();
        boolean terminating = endpoint.getConditions() != null
            && Boolean.TRUE.equals(endpoint.getConditions().getTerminating());
        if (!isReady || terminating || endpoint.getAddresses() == null || endpoint.getAddresses().isEmpty()) {
          continue;
        }
        String address = endpoint.getAddresses().get(0);
        String name = endpoint.getTargetRef() != null && endpoint.getTargetRef().getName() != null
            ? endpoint.getTargetRef().getName() : address;
        ready.put(replicaName(name), new Endpoint(address, slicePort.get()));
      }
    }
    return ready;
  }

  private static Optional<Integer> portOf(List<EndpointPort> ports, int port) {
    if (ports == null || ports.isEmpty()) {
      return Optional.empty();
    }
    return ports.stream().map(EndpointPort::getPort).filter(Objects::nonNull).filter(p -> p == port).findFirst()
        .or(() -> ports.size() == 1 ? Optional.ofNullable(ports.get(0).getPort()) : Optional.empty());
  }

  /** A pod's name as a replica name: lowercase letters, digits and '-' (a pod name may also hold '.'). */
  static String replicaName(String name) {
    String cleaned = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]", "-");
    if (cleaned.isEmpty() || !Character.isLetterOrDigit(cleaned.charAt(0))) {
      cleaned = "pod-" + cleaned;
    }
    return cleaned.length() > 81 ? cleaned.substring(0, 81) : cleaned;
  }
}

package io.sluice.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.sluice.autoscaler.replica.Endpoint;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ObservedServicesTest {

  static EndpointSliceBuilder slice(int... ports) {
    EndpointSliceBuilder builder = new EndpointSliceBuilder().withNewMetadata().withName("s").endMetadata()
        .withAddressType("IPv4");
    for (int port : ports) {
      builder.addNewPort().withPort(port).endPort();
    }
    return builder;
  }

  static EndpointSliceBuilder endpoint(EndpointSliceBuilder slice, String pod, String ip, Boolean ready,
      Boolean terminating) {
    return slice.addNewEndpoint().withAddresses(ip).withNewConditions().withReady(ready).withTerminating(terminating)
        .endConditions().withNewTargetRef().withKind("Pod").withName(pod).endTargetRef().endEndpoint();
  }

  @Test
  void ready_and_unknown_endpoints_count_and_unready_or_terminating_ones_do_not() {
    EndpointSliceBuilder s = slice(8000);
    endpoint(s, "a", "10.0.0.1", true, null);
    endpoint(s, "b", "10.0.0.2", null, null);
    endpoint(s, "c", "10.0.0.3", false, null);
    endpoint(s, "d", "10.0.0.4", true, true);

    Map<String, Endpoint> ready = ObservedServices.readyEndpoints(List.of(s.build()), 8000);

    assertThat(ready).containsOnlyKeys("a", "b")
        .containsEntry("a", new Endpoint("10.0.0.1", 8000)).containsEntry("b", new Endpoint("10.0.0.2", 8000));
  }

  @Test
  void the_apps_port_is_picked_among_several_and_a_single_port_is_used_whatever_its_number() {
    EndpointSlice several = endpoint(slice(9090, 8000), "a", "10.0.0.1", true, null).build();
    EndpointSlice single = endpoint(slice(5000), "b", "10.0.0.2", true, null).build();
    EndpointSlice ambiguous = endpoint(slice(9090, 9091), "c", "10.0.0.3", true, null).build();

    assertThat(ObservedServices.readyEndpoints(List.of(several, single, ambiguous), 8000))
        .containsExactlyInAnyOrderEntriesOf(Map.of(
            "a", new Endpoint("10.0.0.1", 8000), "b", new Endpoint("10.0.0.2", 5000)));
  }

  @Test
  void pod_names_become_replica_names() {
    assertThat(ObservedServices.replicaName("model-7d9f.abcde")).isEqualTo("model-7d9f-abcde");
    assertThat(ObservedServices.replicaName("10.0.0.1")).isEqualTo("10-0-0-1");
    assertThat(ObservedServices.replicaName("-odd")).isEqualTo("pod--odd");
  }
}

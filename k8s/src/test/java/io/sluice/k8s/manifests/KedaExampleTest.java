package io.sluice.k8s.manifests;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.sluice.k8s.NodeRole;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The example ScaledObject points KEDA at a port the manifests really expose for the external scaler. */
class KedaExampleTest {

  static final Path K8S = NodeRole.k8sDir();

  @Test
  @SuppressWarnings("unchecked")
  void the_scaled_objects_scaler_address_is_the_admin_services_keda_port() throws IOException {
    GenericKubernetesResource scaled = Serialization.unmarshal(
        Files.readString(K8S.resolve("keda/scaledobject.yaml")), GenericKubernetesResource.class);
    Service admin = Serialization.unmarshal(Files.readString(K8S.resolve("base/admin-service.yaml")), Service.class);

    assertThat(scaled.getApiVersion()).isEqualTo("keda.sh/v1alpha1");
    assertThat(scaled.getKind()).isEqualTo("ScaledObject");
    Map<String, Object> spec = (Map<String, Object>) scaled.getAdditionalProperties().get("spec");
    Map<String, Object> trigger = ((List<Map<String, Object>>) spec.get("triggers")).get(0);
    Map<String, String> metadata = (Map<String, String>) trigger.get("metadata");
    assertThat(trigger.get("type")).isEqualTo("external-push");
    int kedaPort = admin.getSpec().getPorts().stream().filter(p -> p.getName().equals("keda")).findFirst()
        .orElseThrow().getPort();
    assertThat(metadata.get("scalerAddress")).isEqualTo(admin.getMetadata().getName() + "."
        + admin.getMetadata().getNamespace() + ".svc:" + kedaPort);
    assertThat(metadata.get("app")).matches("[a-z0-9-]+/[a-z0-9-]+");
  }
}

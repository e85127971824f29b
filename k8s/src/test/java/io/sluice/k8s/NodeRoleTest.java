package io.sluice.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.rbac.Role;
import io.sluice.k8s.NodeRole.Permission;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The Role itself; that it allows exactly the calls the provider makes is checked against the calls it records in
 * {@link KubernetesReplicasTest}.
 */
class NodeRoleTest {

  @Test
  void the_role_is_namespaced_in_the_fleets_namespace() {
    Role role = NodeRole.role();

    assertThat(role.getKind()).isEqualTo("Role");
    assertThat(role.getMetadata().getNamespace()).isEqualTo("sluice");
  }

  @Test
  void answers_single_calls_and_names_what_is_missing_or_unused() {
    assertThat(NodeRole.allows("apps", "deployments/scale", "update")).isTrue();
    assertThat(NodeRole.allows("", "secrets", "watch")).isFalse();
    assertThat(NodeRole.allows("", "pods", "delete")).as("the provider scales down; it never deletes pods").isFalse();
    assertThat(NodeRole.missing(List.of(new Permission("", "configmaps", "get"))))
        .containsExactly(new Permission("", "configmaps", "get"));
    assertThat(NodeRole.unused(List.of())).hasSameSizeAs(NodeRole.permissions());
  }

  @Test
  void nothing_in_the_role_is_a_wildcard() {
    assertThat(NodeRole.permissions()).allSatisfy(p -> {
      assertThat(p.apiGroup()).isNotEqualTo("*");
      assertThat(p.resource()).isNotEqualTo("*");
      assertThat(p.verb()).isNotEqualTo("*");
    });
  }
}

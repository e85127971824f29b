package io.sluice.k8s;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.rbac.Role;
import io.sluice.k8s.NodeRole.Permission;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class NodeRoleTest {

  /**
   * The calls the Kubernetes replica provider makes, as planned with it: a Deployment per app (and its scale
   * subresource), a watch on the apps' pods, a Secret per app, and the endpoints it routes to. Its own tests check
   * the calls it records against {@link NodeRole}; this table is what the Role must hold meanwhile.
   */
  static final Set<Permission> PROVIDER_CALLS = new TreeSet<>(List.of(
      new Permission("apps", "deployments", "get"),
      new Permission("apps", "deployments", "list"),
      new Permission("apps", "deployments", "watch"),
      new Permission("apps", "deployments", "create"),
      new Permission("apps", "deployments", "patch"),
      new Permission("apps", "deployments", "delete"),
      new Permission("apps", "deployments/scale", "get"),
      new Permission("apps", "deployments/scale", "patch"),
      new Permission("", "pods", "get"),
      new Permission("", "pods", "list"),
      new Permission("", "pods", "watch"),
      new Permission("", "pods", "patch"),
      new Permission("", "secrets", "get"),
      new Permission("", "secrets", "list"),
      new Permission("", "secrets", "create"),
      new Permission("", "secrets", "patch"),
      new Permission("", "secrets", "delete"),
      new Permission("", "services", "get"),
      new Permission("discovery.k8s.io", "endpointslices", "list"),
      new Permission("discovery.k8s.io", "endpointslices", "watch")));

  @Test
  void the_role_allows_exactly_the_providers_calls_and_nothing_for_hazelcasts_dns_discovery() {
    assertThat(NodeRole.missing(PROVIDER_CALLS)).as("calls the Role does not allow").isEmpty();
    assertThat(NodeRole.unused(PROVIDER_CALLS)).as("rules no call needs").isEmpty();
  }

  @Test
  void the_role_is_namespaced_in_the_fleets_namespace() {
    Role role = NodeRole.role();

    assertThat(role.getKind()).isEqualTo("Role");
    assertThat(role.getMetadata().getNamespace()).isEqualTo("sluice");
  }

  @Test
  void answers_single_calls_and_names_what_is_missing_or_unused() {
    assertThat(NodeRole.allows("apps", "deployments/scale", "patch")).isTrue();
    assertThat(NodeRole.allows("", "secrets", "watch")).isFalse();
    assertThat(NodeRole.allows("", "pods", "delete")).as("the provider scales down; it never deletes pods").isFalse();
    assertThat(NodeRole.missing(List.of(new Permission("", "configmaps", "get"))))
        .containsExactly(new Permission("", "configmaps", "get"));
    assertThat(NodeRole.unused(List.of())).hasSameSizeAs(PROVIDER_CALLS);
  }
}

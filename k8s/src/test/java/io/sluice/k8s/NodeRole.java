package io.sluice.k8s;

import io.fabric8.kubernetes.api.model.rbac.PolicyRule;
import io.fabric8.kubernetes.api.model.rbac.Role;
import io.sluice.k8s.manifests.Kustomization;
import io.sluice.k8s.manifests.Kustomization.Manifest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the Sluice nodes may do towards the Kubernetes API: the rules of the Role in {@code k8s/base/rbac.yaml}, as a
 * set of (API group, resource, verb). A test that records the API calls the replica provider makes checks each one
 * with {@link #allows}, and the whole set with {@link #unused}, so that the Role stays exactly what the code calls.
 */
public final class NodeRole {

  /** The file that holds the node's Role (and its RoleBinding), relative to the {@code k8s} module. */
  public static final Path RBAC_FILE = Path.of("base", "rbac.yaml");

  /**
   * One thing the Role allows. {@code apiGroup} is {@code ""} for the core group; {@code resource} is plural and
   * lower case, with {@code /subresource} when it is one (e.g. {@code deployments/scale}); {@code verb} is the RBAC
   * verb: get, list, watch, create, update, patch, delete, deletecollection.
   */
  public record Permission(String apiGroup, String resource, String verb) implements Comparable<Permission> {
    @Override
    public int compareTo(Permission other) {
      return toString().compareTo(other.toString());
    }

    @Override
    public String toString() {
      return (apiGroup.isEmpty() ? "core" : apiGroup) + "/" + resource + ":" + verb;
    }
  }

  private NodeRole() {}

  /** The {@code k8s} module's folder: the working directory under Maven, else {@code k8s} under it. */
  public static Path k8sDir() {
    Path here = Path.of("").toAbsolutePath();
    if (Files.exists(here.resolve(Kustomization.FILE_NAME))) {
      return here;
    }
    Path module = here.resolve("k8s");
    if (Files.exists(module.resolve(Kustomization.FILE_NAME))) {
      return module;
    }
    Path sibling = here.resolveSibling("k8s");
    if (Files.exists(sibling.resolve(Kustomization.FILE_NAME))) {
      return sibling;
    }
    throw new IllegalStateException("no k8s/" + Kustomization.FILE_NAME + " from " + here);
  }

  /** The node's Role as written in {@link #RBAC_FILE}: the only Role there. */
  public static Role role() {
    List<Role> roles = Kustomization.manifests(k8sDir().resolve(RBAC_FILE)).stream()
        .map(Manifest::object).filter(Role.class::isInstance).map(Role.class::cast).toList();
    if (roles.size() != 1) {
      throw new IllegalStateException(RBAC_FILE + ": " + roles.size() + " Roles (expected: exactly 1, the node's)");
    }
    return roles.get(0);
  }

  /**
   * Every (group, resource, verb) the Role allows, each rule's lists multiplied out.
   *
   * @throws IllegalStateException when a rule holds a wildcard, names resources or non-resource URLs: the Role must
   *     be exact for the set to mean anything
   */
  public static Set<Permission> permissions() {
    Set<Permission> permissions = new TreeSet<>();
    List<PolicyRule> rules = role().getRules();
    for (int i = 0; i < rules.size(); i++) {
      PolicyRule rule = rules.get(i);
      String where = RBAC_FILE + " rules[" + i + "]";
      if (!rule.getResourceNames().isEmpty() || !rule.getNonResourceURLs().isEmpty()) {
        throw new IllegalStateException(where + ": resourceNames or nonResourceURLs (expected: neither; the node's "
            + "rules name resources by type only)");
      }
      for (String list : List.of("apiGroups", "resources", "verbs")) {
        List<String> values = switch (list) {
          case "apiGroups" -> rule.getApiGroups();
          case "resources" -> rule.getResources();
          default -> rule.getVerbs();
        };
        if (values.isEmpty() || values.contains("*")) {
          throw new IllegalStateException(where + "." + list + ": " + values + " (expected: named values, no '*')");
        }
      }
      for (String group : rule.getApiGroups()) {
        for (String resource : rule.getResources()) {
          for (String verb : rule.getVerbs()) {
            permissions.add(new Permission(group, resource, verb));
          }
        }
      }
    }
    return permissions;
  }

  public static boolean allows(String apiGroup, String resource, String verb) {
    return permissions().contains(new Permission(apiGroup, resource, verb));
  }

  /** What the Role allows that none of {@code used} needs: rules to remove. */
  public static Set<Permission> unused(Collection<Permission> used) {
    Set<Permission> unused = new LinkedHashSet<>(permissions());
    unused.removeAll(used);
    return unused;
  }

  /** What {@code used} needs that the Role does not allow: rules to add (or calls to remove). */
  public static Set<Permission> missing(Collection<Permission> used) {
    Set<Permission> missing = new TreeSet<>(used);
    missing.removeAll(permissions());
    return missing;
  }
}

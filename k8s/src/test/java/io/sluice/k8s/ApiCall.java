package io.sluice.k8s;

import io.sluice.k8s.NodeRole.Permission;
import java.net.URI;
import java.util.Arrays;
import java.util.List;

/** What RBAC calls a request to the API server: its API group, resource (with subresource) and verb. */
final class ApiCall {

  private ApiCall() {}

  /** {@code GET /apis/apps/v1/namespaces/sluice/deployments/x/scale} is ("apps", "deployments/scale", "get"). */
  static Permission permissionOf(String method, String pathAndQuery) {
    URI uri = URI.create(pathAndQuery);
    List<String> parts = Arrays.stream(uri.getPath().split("/")).filter(p -> !p.isEmpty()).toList();
    // /api/v1/... or /apis/<group>/<version>/...
    String group = parts.get(0).equals("api") ? "" : parts.get(1);
    List<String> rest = parts.subList(parts.get(0).equals("api") ? 2 : 3, parts.size());
    if (rest.size() >= 2 && rest.get(0).equals("namespaces")) {
      rest = rest.subList(2, rest.size());
    }
    String resource = rest.get(0);
    boolean named = rest.size() >= 2;
    if (rest.size() >= 3) {
      resource = resource + "/" + rest.get(2);
    }
    boolean watch = uri.getQuery() != null && uri.getQuery().contains("watch=true");
    String verb = switch (method) {
      case "GET" -> watch ? "watch" : named ? "get" : "list";
      case "POST" -> "create";
      case "PUT" -> "update";
      case "PATCH" -> "patch";
      case "DELETE" -> named ? "delete" : "deletecollection";
      default -> throw new IllegalArgumentException("method: " + method);
    };
    return new Permission(group, resource, verb);
  }
}

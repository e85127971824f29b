package io.sluice.dataplane.admin;

import io.sluice.autoscaler.replica.ReplicaStatus;
import io.sluice.dataplane.apps.DeployedApp;
import io.sluice.dataplane.routing.RoutedReplica;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;

/** How the admin API shows an app. Never includes secret values: the spec holds only secret names. */
final class AppJson {

  private AppJson() {}

  static JsonObject of(DeployedApp app, String publicBaseUrl) {
    var spec = app.spec();
    Map<String, Integer> inFlight = new HashMap<>();
    for (RoutedReplica routed : app.route().readyReplicas()) {
      inFlight.put(routed.id().name(), routed.inFlight());
    }
    JsonArray replicas = new JsonArray();
    for (ReplicaStatus status : app.replicas()) {
      replicas.add(new JsonObject()
          .put("name", status.id().name())
          .put("state", status.state().name().toLowerCase(java.util.Locale.ROOT))
          .put("endpoint", status.endpoint().map(Object::toString).orElse(null))
          .put("restarts", status.restarts())
          .put("detail", status.detail())
          .put("since", status.since().toString())
          .put("in_flight", inFlight.getOrDefault(status.id().name(), 0)));
    }
    return new JsonObject()
        .put("project", spec.id().project())
        .put("name", spec.id().name())
        .put("state", app.state().json())
        .put("reason", app.lastFailure())
        .put("url", publicBaseUrl + "/v4/" + spec.id().key() + "/")
        .put("config", spec.format().fileName())
        .put("generation", app.generation())
        .put("deployed_at", app.deployedAt().toString())
        .put("min_replicas", spec.scaling().minReplicas())
        .put("max_replicas", spec.scaling().maxReplicas())
        .put("replica_concurrency", spec.scaling().replicaConcurrency())
        .put("replicas", replicas)
        .put("warnings", new JsonArray(app.warnings()))
        .put("notices", new JsonArray(app.loaded().notices()))
        .put("ignored_keys", new JsonArray(app.loaded().ignoredKeys()));
  }
}

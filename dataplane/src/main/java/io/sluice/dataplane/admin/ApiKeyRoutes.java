package io.sluice.dataplane.admin;

import io.sluice.config.AppId;
import io.sluice.dataplane.auth.ApiKeyStore;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * A project's API keys on the admin API. The key itself is in the answer to its creation and nowhere else, ever;
 * listing shows ids, names and dates.
 *
 * <pre>
 * GET    /v1/projects/{project}/api-keys
 * POST   /v1/projects/{project}/api-keys        body (optional): {"name": "..."}; answers the key, once
 * DELETE /v1/projects/{project}/api-keys/{id}   revokes at once
 * </pre>
 */
final class ApiKeyRoutes {

  private static final int MAX_BODY_BYTES = 4096;
  private static final int MAX_NAME_CHARS = 128;

  private final Vertx vertx;
  private final ApiKeyStore keys;

  ApiKeyRoutes(Vertx vertx, ApiKeyStore keys) {
    this.vertx = vertx;
    this.keys = keys;
  }

  void mount(Router router) {
    router.get("/v1/projects/:project/api-keys").handler(this::list);
    router.post("/v1/projects/:project/api-keys")
        .handler(BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES))
        .handler(this::create);
    router.delete("/v1/projects/:project/api-keys/:id").handler(this::revoke);
  }

  private void list(RoutingContext ctx) {
    String project = ctx.pathParam("project");
    if (!validProject(ctx, project)) {
      return;
    }
    JsonArray listed = new JsonArray();
    keys.list(project).forEach(key -> listed.add(describe(key)));
    AdminApi.json(ctx, 200, new JsonObject().put("project", project).put("keys", listed));
  }

  private void create(RoutingContext ctx) {
    String project = ctx.pathParam("project");
    if (!validProject(ctx, project)) {
      return;
    }
    String name;
    try {
      String body = ctx.body().asString();
      name = body == null || body.isBlank() ? "" : new JsonObject(body).getString("name", "");
    } catch (RuntimeException notJson) {
      AdminApi.error(ctx, 400, "bad_request", "the body must be JSON like {\"name\": \"ci\"}, or empty");
      return;
    }
    if (name.length() > MAX_NAME_CHARS || name.chars().anyMatch(Character::isISOControl)) {
      AdminApi.error(ctx, 400, "bad_request", "name: at most " + MAX_NAME_CHARS + " characters, no control characters");
      return;
    }
    String label = name;
    vertx.executeBlocking(() -> keys.create(project, label)).onComplete(created -> {
      if (created.failed()) {
        AdminApi.error(ctx, 500, "keys_unwritable", "the key could not be stored");
      } else {
        AdminApi.json(ctx, 201, describe(created.result().key()).put("key", created.result().secretKey())
            .put("note", "this is the only time the key is shown; keep it"));
      }
    });
  }

  private void revoke(RoutingContext ctx) {
    String project = ctx.pathParam("project");
    String id = ctx.pathParam("id");
    if (!validProject(ctx, project)) {
      return;
    }
    vertx.executeBlocking(() -> keys.revoke(project, id)).onComplete(revoked -> {
      if (revoked.failed()) {
        AdminApi.error(ctx, 500, "keys_unwritable", "the key could not be revoked");
      } else if (!revoked.result()) {
        AdminApi.error(ctx, 404, "no_key", "no API key " + id + " in project " + project);
      } else {
        AdminApi.json(ctx, 200, new JsonObject().put("project", project).put("id", id).put("revoked", true));
      }
    });
  }

  private static JsonObject describe(ApiKeyStore.ApiKey key) {
    return new JsonObject().put("id", key.id()).put("project", key.project()).put("name", key.name())
        .put("created", key.created().toString());
  }

  private static boolean validProject(RoutingContext ctx, String project) {
    if (!AppId.NAME.matcher(project).matches()) {
      AdminApi.error(ctx, 400, "bad_project", "project: " + AppId.NAME_RULE);
      return false;
    }
    return true;
  }
}

package io.sluice.dataplane.admin;

import io.sluice.cluster.apps.AppCatalog;
import io.sluice.cluster.apps.AppCatalog.AppRecord;
import io.sluice.config.AppId;
import io.sluice.dataplane.auth.AdminToken;
import io.sluice.dataplane.auth.ReplicaTokens;
import io.sluice.dataplane.dashboard.DashboardRoutes;
import io.sluice.dataplane.proxy.ErrorReply;
import io.sluice.dataplane.proxy.RequestIds;
import io.vertx.core.Future;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.Objects;
import java.util.Optional;

/**
 * {@code GET /v1/apps/{project}/{app}/archive?version=N}: the zip of one deployed version of an app, as the fleet
 * keeps it, for the pods of a cluster that run the app from its files (a {@code cerebrium.toml} app's init container
 * fetches it when the pod starts).
 *
 * <p>The app's own replica token opens it, as well as the admin token: a pod holds its app's token and nothing more,
 * and sees only its own app's files. The fleet keeps the archive of each app's current version only (a redeploy
 * forgets the one it replaces), so an older version answers 404 like an unknown one. The archive is served from this
 * node's disk, fetched from the fleet first when this node lacks it; the catalogue lookup is local, never a round trip.
 */
final class AppArchiveRoutes {

  static final String PATH = "/v1/apps/:project/:app/archive";

  private final AppCatalog catalog;
  private final ReplicaTokens replicaTokens;
  private final AdminToken adminToken;

  AppArchiveRoutes(AppCatalog catalog, ReplicaTokens replicaTokens, AdminToken adminToken) {
    this.catalog = Objects.requireNonNull(catalog, "catalog");
    this.replicaTokens = Objects.requireNonNull(replicaTokens, "replicaTokens");
    this.adminToken = Objects.requireNonNull(adminToken, "adminToken");
  }

  /** Mounts the route ahead of the admin API's own token check, which it does itself. */
  void mount(Router router) {
    router.get(PATH).handler(this::archive);
  }

  private void archive(RoutingContext ctx) {
    AppId id;
    try {
      id = new AppId(ctx.pathParam("project"), ctx.pathParam("app"));
    } catch (IllegalArgumentException e) {
      AdminApi.error(ctx, 404, "not_found", e.getMessage());
      return;
    }
    String authorization = DashboardRoutes.credential(ctx);
    if (!adminToken.admits(authorization) && !replicaTokens.admits(id, authorization)) {
      ctx.response().setStatusCode(401).putHeader("WWW-Authenticate", "Bearer realm=\"sluice-admin\"")
          .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .end(ErrorReply.body("unauthorized", "the archive of " + id + " wants the app's replica token"
              + " (SLUICE_TOKEN) or the admin token as `Authorization: Bearer <token>`", RequestIds.next()).encode());
      return;
    }
    Optional<Long> version = version(ctx.queryParams().get("version"));
    if (version.isEmpty()) {
      AdminApi.error(ctx, 400, "bad_request", "version: " + ctx.queryParams().get("version")
          + " (expected: ?version=N, the app's deployed version, a whole number >= 0)");
      return;
    }
    Optional<AppRecord> record = catalog.record(id).filter(known -> !known.removed());
    if (record.isEmpty() || record.get().generation() != version.get()) {
      AdminApi.error(ctx, 404, "not_found", "app " + id + " has no version " + version.get()
          + record.map(known -> "; its deployed version is " + known.generation()).orElse("; it is not deployed"));
      return;
    }
    Future.fromCompletionStage(catalog.archive(record.get()), ctx.vertx().getOrCreateContext())
        .onSuccess(file -> ctx.response()
            .putHeader(HttpHeaders.CONTENT_TYPE, "application/zip")
            .putHeader("Content-Disposition", "attachment; filename=\"" + id.name() + "-v" + version.get() + ".zip\"")
            .sendFile(file.toString()))
        .onFailure(e -> AdminApi.error(ctx, 503, "unavailable", "the archive of " + id + " version " + version.get()
            + " could not be read from the fleet: " + e.getMessage()));
  }

  private static Optional<Long> version(String written) {
    if (written == null || !written.matches("[0-9]{1,18}")) {
      return Optional.empty();
    }
    return Optional.of(Long.parseLong(written));
  }
}

package io.sluice.dataplane.admin;

import io.sluice.cluster.apps.AppCatalog;
import io.sluice.config.AppId;
import io.sluice.config.ConfigException;
import io.sluice.dataplane.apps.AppDeployer;
import io.sluice.dataplane.apps.AppFiles;
import io.sluice.dataplane.apps.DeployedApp;
import io.sluice.dataplane.auth.AdminToken;
import io.sluice.dataplane.auth.ApiKeyStore;
import io.sluice.dataplane.auth.ReplicaTokens;
import io.sluice.dataplane.dashboard.DashboardRoutes;
import io.sluice.dataplane.proxy.ErrorReply;
import io.sluice.dataplane.records.NodeRecords;
import io.sluice.dataplane.records.RecordQuery;
import io.sluice.dataplane.proxy.RequestIds;
import io.sluice.dataplane.logs.FleetLogs;
import io.sluice.dataplane.routing.NodeDrain;
import io.sluice.dataplane.secrets.SecretStore;
import io.sluice.dataplane.runs.AsyncRuns;
import io.sluice.dataplane.runs.Webhooks;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.Promise;
import io.vertx.core.file.AsyncFile;
import io.vertx.core.file.OpenOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The admin API (its own port, loopback by default): deploy and undeploy apps, list them and their replicas, read
 * replica logs, manage secrets, and the node's own health and readiness.
 *
 * <pre>
 * GET    /health, /ready                            /ready is 503 while the node drains
 * GET    /metrics                                   Prometheus text; mounted by the node from its NodeMetrics
 * GET    /v1/apps                                   apps with state, URL, replicas
 * GET    /v1/capacity                               node pools, GPUs used, replicas waiting for capacity
 * GET    /v1/fleet                                  the fleet's name and members, this node first
 * POST   /v1/apps?project=P&amp;name=N&amp;dir=D          body: the app folder as a zip (application/zip)
 * GET    /v1/apps/{project}/{app}
 * DELETE /v1/apps/{project}/{app}
 * GET    /v1/apps/{project}/{app}/logs?replica=R&amp;tail=N[&amp;follow=true]   see {@link LogRoutes}
 * GET    /v1/apps/{project}/{app}/archive?version=N the version's zip; the app's replica token opens it too, see
 *                                                   {@link AppArchiveRoutes}
 * GET    /v1/apps/{project}/{app}/scaling           observed load, desired/ready/pending, queue, decisions
 * GET    /v1/apps/{project}/{app}/metrics           fleet-wide and per-node load, queue, replicas, panic: for KEDA
 * GET    /v1/projects/{project}/secrets             names only, never values
 * PUT    /v1/projects/{project}/secrets/{name}      body: the value
 * DELETE /v1/projects/{project}/secrets/{name}
 * GET, POST /v1/projects/{project}/api-keys, DELETE .../api-keys/{id}   see {@link ApiKeyRoutes}
 * </pre>
 *
 * <p>Every {@code /v1} route wants the admin token as {@code Authorization: Bearer} (the archive route takes the
 * app's replica token as well); {@code /health},
 * {@code /ready} and {@code /metrics} are open, for probes and Prometheus.
 */
public final class AdminApi {

  public static final long MAX_ARCHIVE_BYTES = AppFiles.MAX_ARCHIVE_BYTES;
  private static final int MAX_SECRET_BYTES = 64 * 1024;

  private final Vertx vertx;
  private final AppDeployer deployer;
  private final SecretStore secrets;
  private final ApiKeyStore apiKeys;
  private final AdminToken adminToken;
  private final FleetLogs logs;
  private final Supplier<String> publicBaseUrl;
  private final Path uploads;
  private final NodeDrain drain;
  private final Function<AppId, Optional<JsonObject>> scalingState;
  private final Function<AppId, Optional<JsonObject>> scalingMetrics;
  private final Supplier<JsonObject> capacity;
  private final Supplier<JsonObject> fleet;
  private AsyncRuns runs;
  private NodeRecords records;
  private DashboardRoutes dashboard;
  private AppArchiveRoutes archives;

  public AdminApi(
      Vertx vertx, AppDeployer deployer, SecretStore secrets, ApiKeyStore apiKeys, AdminToken adminToken,
      FleetLogs logs, Supplier<String> publicBaseUrl,
      Path uploads, NodeDrain drain, Function<AppId, Optional<JsonObject>> scalingState,
      Function<AppId, Optional<JsonObject>> scalingMetrics, Supplier<JsonObject> capacity,
      Supplier<JsonObject> fleet) {
    this.vertx = vertx;
    this.deployer = deployer;
    this.secrets = secrets;
    this.apiKeys = apiKeys;
    this.adminToken = adminToken;
    this.logs = logs;
    this.publicBaseUrl = publicBaseUrl;
    this.uploads = uploads;
    this.drain = drain;
    this.scalingState = scalingState;
    this.scalingMetrics = scalingMetrics;
    this.capacity = capacity;
    this.fleet = fleet;
  }

  /** Serves the projects' webhook secrets, with which asynchronous runs' webhooks are signed. */
  public AdminApi withRuns(AsyncRuns asyncRuns) {
    this.runs = asyncRuns;
    return this;
  }

  /** Serves the dashboard at {@code /}. */
  public AdminApi withDashboard(DashboardRoutes routes) {
    this.dashboard = routes;
    return this;
  }

  /** Serves the fleet's request records. */
  public AdminApi withRecords(NodeRecords nodeRecords) {
    this.records = nodeRecords;
    return this;
  }

  /**
   * Serves each app's archive to the pods that run the app from its files, on the app's replica token (or the admin
   * token).
   */
  public AdminApi withArchives(AppCatalog catalog, ReplicaTokens replicaTokens) {
    this.archives = new AppArchiveRoutes(catalog, replicaTokens, adminToken);
    return this;
  }

  public Router router() {
    Router router = Router.router(vertx);
    router.get("/health").handler(ctx -> json(ctx, 200, new JsonObject().put("status", "ok")));
    router.get("/ready").handler(ctx -> json(ctx, drain.draining() ? 503 : 200,
        new JsonObject().put("status", drain.draining() ? "draining" : "ready")));
    if (dashboard != null) {
      dashboard.mountOpen(router);
    }
    if (archives != null) {
      archives.mount(router);
    }
    router.route("/v1/*").handler(ctx -> {
      if (adminToken.admits(DashboardRoutes.credential(ctx))) {
        ctx.next();
      } else {
        ctx.response().setStatusCode(401).putHeader("WWW-Authenticate", "Bearer realm=\"sluice-admin\"")
            .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
            .end(ErrorReply.body("unauthorized", "the admin API wants the admin token as `Authorization: Bearer "
                + "<token>`; it is in <state>/admin-token unless SLUICE_ADMIN_TOKEN set it", null).encode());
      }
    });
    new ApiKeyRoutes(vertx, apiKeys).mount(router);
    if (runs != null) {
      router.get("/v1/projects/:project/webhook-secret").handler(ctx -> runs.webhookSecret(ctx.pathParam("project"))
          .onSuccess(secret -> json(ctx, 200, new JsonObject().put("project", ctx.pathParam("project"))
              .put("secret", secret).put("signature_header", Webhooks.SIGNATURE_HEADER)))
          .onFailure(ctx::fail));
    }
    if (dashboard != null) {
      dashboard.mountApi(router);
    }
    if (records != null) {
      router.get("/v1/requests").handler(ctx -> requests(ctx, null));
      router.get("/v1/apps/:project/:app/requests").handler(ctx ->
          requests(ctx, ctx.pathParam("project") + "/" + ctx.pathParam("app")));
    }
    router.get("/v1/apps").handler(this::listApps);
    router.get("/v1/capacity").handler(ctx -> json(ctx, 200, capacity.get()));
    router.get("/v1/fleet").handler(ctx -> json(ctx, 200, fleet.get()));
    router.post("/v1/apps").handler(this::deploy);
    router.get("/v1/apps/:project/:app").handler(this::showApp);
    router.delete("/v1/apps/:project/:app").handler(this::undeploy);
    new LogRoutes(vertx, logs, id -> deployer.app(id).isPresent()).mount(router);
    router.get("/v1/apps/:project/:app/scaling").handler(this::scaling);
    router.get("/v1/apps/:project/:app/metrics").handler(this::metrics);
    router.get("/v1/projects/:project/secrets").handler(this::listSecrets);
    router.put("/v1/projects/:project/secrets/:name")
        .handler(BodyHandler.create(false).setBodyLimit(MAX_SECRET_BYTES))
        .handler(this::putSecret);
    router.delete("/v1/projects/:project/secrets/:name").handler(this::deleteSecret);
    router.route().last().handler(ctx -> error(ctx, 404, "not_found", "no admin route " + ctx.request().path()));
    router.route().failureHandler(ctx -> {
      int status = ctx.statusCode() > 0 ? ctx.statusCode() : 500;
      error(ctx, status, status == 413 ? "too_large" : "admin_error",
          ctx.failure() == null ? "request failed" : ctx.failure().getMessage());
    });
    return router;
  }

  private void listApps(RoutingContext ctx) {
    JsonArray apps = new JsonArray();
    deployer.apps().stream()
        .sorted((a, b) -> a.spec().id().key().compareTo(b.spec().id().key()))
        .forEach(app -> apps.add(AppJson.of(app, publicBaseUrl.get())));
    json(ctx, 200, new JsonObject().put("apps", apps));
  }

  private void showApp(RoutingContext ctx) {
    Optional<DeployedApp> app = appOf(ctx);
    if (app.isEmpty()) {
      return;
    }
    json(ctx, 200, AppJson.of(app.get(), publicBaseUrl.get()));
  }

  private void undeploy(RoutingContext ctx) {
    Optional<DeployedApp> app = appOf(ctx);
    if (app.isEmpty()) {
      return;
    }
    deployer.undeploy(app.get().spec().id()).onComplete(done ->
        json(ctx, 200, new JsonObject().put("undeployed", app.get().spec().id().key())));
  }

  /** Streams the uploaded zip to a file (bounded), then deploys it. */
  private void deploy(RoutingContext ctx) {
    HttpServerRequest request = ctx.request();
    String declared = request.getHeader(HttpHeaders.CONTENT_LENGTH);
    if (declared != null && parseLong(declared) > MAX_ARCHIVE_BYTES) {
      error(ctx, 413, "too_large", "the app archive is larger than " + (MAX_ARCHIVE_BYTES >> 20) + " MiB");
      return;
    }
    Optional<String> project = Optional.ofNullable(request.getParam("project"));
    Optional<String> name = Optional.ofNullable(request.getParam("name"));
    String dirName = Optional.ofNullable(request.getParam("dir")).orElse("app");
    request.pause();
    vertx.executeBlocking(() -> {
      Files.createDirectories(uploads);
      return Files.createTempFile(uploads, "upload-", ".zip");
    }).compose(file -> vertx.fileSystem().open(file.toString(), new OpenOptions().setWrite(true))
        .compose(out -> receiveBounded(request, out).eventually(out::close).map(file)))
        .compose(uploaded -> deployer.deployArchive(uploaded, dirName, project, name)
            .eventually(() -> vertx.executeBlocking(() -> Files.deleteIfExists(uploaded))))
        .onSuccess(app -> json(ctx, 202, AppJson.of(app, publicBaseUrl.get())))
        .onFailure(failure -> deployFailed(ctx, failure));
  }

  private void deployFailed(RoutingContext ctx, Throwable failure) {
    if (failure instanceof ConfigException config) {
      JsonObject body = ErrorReply.body("invalid_config", config.getMessage(), null);
      body.getJsonObject("error").put("problems", new JsonArray(
          config.problems().stream().map(Object::toString).toList()));
      json(ctx, 400, body);
    } else if (failure instanceof IllegalArgumentException || failure instanceof IOException) {
      error(ctx, 400, "bad_app", failure.getMessage());
    } else {
      error(ctx, 500, "deploy_failed", String.valueOf(failure.getMessage()));
    }
  }

  private void scaling(RoutingContext ctx) {
    Optional<DeployedApp> app = appOf(ctx);
    if (app.isEmpty()) {
      return;
    }
    json(ctx, 200, scalingState.apply(app.get().spec().id()).orElseGet(JsonObject::new)
        .put("project", app.get().spec().id().project())
        .put("name", app.get().spec().id().name()));
  }

  private void metrics(RoutingContext ctx) {
    Optional<DeployedApp> app = appOf(ctx);
    if (app.isPresent()) {
      json(ctx, 200, scalingMetrics.apply(app.get().spec().id()).orElseGet(JsonObject::new));
    }
  }

  private void listSecrets(RoutingContext ctx) {
    String project = ctx.pathParam("project");
    vertx.executeBlocking(() -> secrets.names(project)).onComplete(read -> {
      if (read.failed()) {
        error(ctx, 500, "secrets_unreadable", "the secret store could not be read");
      } else {
        json(ctx, 200, new JsonObject().put("project", project).put("names", new JsonArray(read.result())));
      }
    });
  }

  private void putSecret(RoutingContext ctx) {
    String project = ctx.pathParam("project");
    String name = ctx.pathParam("name");
    if (!validProject(ctx, project)) {
      return;
    }
    String value = ctx.body().asString();
    vertx.executeBlocking(() -> {
      secrets.put(project, name, value == null ? "" : value);
      return null;
    }).onComplete(stored -> {
      if (stored.failed()) {
        error(ctx, 400, "bad_secret", stored.cause() instanceof IllegalArgumentException
            ? stored.cause().getMessage() : "the secret could not be stored");
      } else {
        json(ctx, 200, new JsonObject().put("project", project).put("name", name).put("stored", true));
      }
    });
  }

  private void deleteSecret(RoutingContext ctx) {
    String project = ctx.pathParam("project");
    String name = ctx.pathParam("name");
    vertx.executeBlocking(() -> secrets.delete(project, name)).onComplete(deleted -> {
      if (deleted.failed()) {
        error(ctx, 400, "bad_secret", deleted.cause().getMessage());
      } else if (!deleted.result()) {
        error(ctx, 404, "no_secret", "no secret " + name + " in project " + project);
      } else {
        json(ctx, 200, new JsonObject().put("project", project).put("name", name).put("deleted", true));
      }
    });
  }

  private Optional<DeployedApp> appOf(RoutingContext ctx) {
    Optional<AppId> id = appIdOf(ctx);
    if (id.isEmpty()) {
      return Optional.empty();
    }
    Optional<DeployedApp> app = deployer.app(id.get());
    if (app.isEmpty()) {
      error(ctx, 404, "app_not_found", "no app " + id.get());
    }
    return app;
  }

  private Optional<AppId> appIdOf(RoutingContext ctx) {
    try {
      return Optional.of(new AppId(ctx.pathParam("project"), ctx.pathParam("app")));
    } catch (IllegalArgumentException e) {
      error(ctx, 404, "app_not_found", e.getMessage());
      return Optional.empty();
    }
  }

  private boolean validProject(RoutingContext ctx, String project) {
    if (AppId.NAME.matcher(project).matches()) {
      return true;
    }
    error(ctx, 400, "bad_project", "project: " + project + " (expected: " + AppId.NAME_RULE + ")");
    return false;
  }

  private static long parseLong(String value) {
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** Request records from every node of the fleet, newest first, filtered and paged by the query parameters. */
  private void requests(RoutingContext ctx, String app) {
    RecordQuery query;
    try {
      query = RecordQuery.of(ctx.queryParams(), app);
    } catch (IllegalArgumentException bad) {
      json(ctx, 400, ErrorReply.body("bad_query", bad.getMessage(), null));
      return;
    }
    records.fleet(query).onSuccess(found -> json(ctx, 200, found)).onFailure(ctx::fail);
  }

  static void json(RoutingContext ctx, int status, JsonObject body) {
    if (!ctx.response().ended()) {
      ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
          .end(body.encodePrettily());
    }
  }

  static void error(RoutingContext ctx, int status, String code, String message) {
    ErrorReply.send(ctx.response(), status, code, message, RequestIds.next());
  }

  /** Writes the request body to the file with back-pressure, failing once it exceeds the archive limit. */
  private static Future<Void> receiveBounded(HttpServerRequest request, AsyncFile out) {
    Promise<Void> done = Promise.promise();
    long[] received = {0};
    request.handler(chunk -> {
      received[0] += chunk.length();
      if (received[0] > MAX_ARCHIVE_BYTES) {
        done.tryFail(new IllegalArgumentException(
            "the app archive is larger than " + (MAX_ARCHIVE_BYTES >> 20) + " MiB"));
        request.connection().close();
        return;
      }
      out.write(chunk);
      if (out.writeQueueFull()) {
        request.pause();
        out.drainHandler(v -> request.resume());
      }
    });
    request.exceptionHandler(done::tryFail);
    request.endHandler(v -> done.tryComplete());
    request.resume();
    return done.future();
  }
}

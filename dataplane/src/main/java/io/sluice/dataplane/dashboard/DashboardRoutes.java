package io.sluice.dataplane.dashboard;

import io.sluice.config.AppId;
import io.sluice.dataplane.auth.AdminToken;
import io.sluice.dataplane.records.NodeRecords;
import io.sluice.dataplane.records.RecordQuery;
import io.sluice.dataplane.routing.AppDirectory;
import io.sluice.dataplane.routing.AppRoute;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The dashboard on the admin port: its page and assets (from the jar, Chart.js from its WebJar; nothing from a CDN),
 * a sign-in that turns the admin token into an HttpOnly cookie (a browser's {@code EventSource} cannot send headers),
 * and the live feed of one app: every second, by server-sent events, what the autoscaler sees and decided and what
 * the app's requests did over the last 10 s across the fleet.
 */
public final class DashboardRoutes {

  public static final String COOKIE = "sluice_admin";
  private static final String COLD_STARTS = "sluice.cold-starts.";
  private static final long TICK_MILLIS = 1000;
  private static final long RECENT_MILLIS = 10_000;

  private final Vertx vertx;
  private final AdminToken adminToken;
  private final NodeRecords records;
  private final Function<AppId, Optional<JsonObject>> scalingState;
  private final AppDirectory directory;
  private final Supplier<List<String>> members;

  public DashboardRoutes(Vertx vertx, AdminToken adminToken, NodeRecords records,
      Function<AppId, Optional<JsonObject>> scalingState, AppDirectory directory, Supplier<List<String>> members) {
    this.vertx = vertx;
    this.adminToken = adminToken;
    this.records = records;
    this.scalingState = scalingState;
    this.directory = directory;
    this.members = members;
    // Each node answers for the cold starts it saw; the one asked adds them up.
    vertx.eventBus().<Long>consumer(COLD_STARTS + records.node(), message -> message.reply(coldStartsHere(
        message.body())));
  }

  /** The admin token a request carries: its {@code Authorization} header, else the dashboard's cookie. */
  public static String credential(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    if (header != null) {
      return header;
    }
    Cookie cookie = ctx.request().getCookie(COOKIE);
    return cookie == null ? null : "Bearer " + cookie.getValue();
  }

  /** What needs no token: the page, its assets, and the sign-in. */
  public void mountOpen(Router router) {
    router.get("/").handler(ctx -> ctx.redirect("/dashboard/"));
    router.route("/dashboard/*").handler(StaticHandler.create("dashboard").setCachingEnabled(false));
    router.route("/webjars/*").handler(StaticHandler.create("META-INF/resources/webjars"));
    router.post("/session").handler(BodyHandler.create(false).setBodyLimit(4096)).handler(this::signIn);
    router.delete("/session").handler(ctx -> {
      ctx.response().addCookie(cookie("").setMaxAge(0));
      ctx.response().setStatusCode(204).end();
    });
  }

  /** What needs the token (mounted behind the admin API's check). */
  public void mountApi(Router router) {
    router.get("/v1/apps/:project/:app/live").handler(this::live);
    router.get("/v1/cold-starts").handler(ctx -> coldStarts().onSuccess(counts -> ctx.response()
        .putHeader("content-type", "application/json").end(counts.encode())).onFailure(ctx::fail));
  }

  /** Cold starts in the last hour, per app ({@code project/app}), summed over the nodes that answered. */
  private Future<JsonObject> coldStarts() {
    long since = System.currentTimeMillis() - 3_600_000;
    List<Future<JsonObject>> asked = members.get().stream().map(member -> member.equals(records.node())
        ? Future.succeededFuture(coldStartsHere(since))
        : vertx.eventBus().<JsonObject>request(COLD_STARTS + member, since,
            new DeliveryOptions().setSendTimeout(3000)).map(Message::body)).toList();
    return Future.join(asked).transform(done -> {
      JsonObject apps = new JsonObject();
      int answered = 0;
      for (Future<JsonObject> answer : asked) {
        if (answer.succeeded()) {
          answered++;
          answer.result().forEach(entry -> apps.put(entry.getKey(),
              apps.getInteger(entry.getKey(), 0) + ((Number) entry.getValue()).intValue()));
        }
      }
      return Future.succeededFuture(new JsonObject().put("since", since).put("apps", apps)
          .put("nodes_answered", answered).put("nodes", asked.size()));
    });
  }

  private JsonObject coldStartsHere(long since) {
    JsonObject counts = new JsonObject();
    for (AppRoute route : directory.all()) {
      counts.put(route.spec().id().key(), route.coldStartsSince(since));
    }
    return counts;
  }

  private void signIn(RoutingContext ctx) {
    JsonObject body;
    try {
      body = ctx.body().asJsonObject();
    } catch (RuntimeException notJson) {
      body = null;
    }
    String token = body == null ? null : body.getString("token");
    if (token == null || !adminToken.admits("Bearer " + token)) {
      ctx.response().setStatusCode(401).putHeader("content-type", "application/json")
          .end(new JsonObject().put("error", new JsonObject().put("code", "unauthorized")
              .put("message", "not the admin token (it is in <state>/admin-token)")).encode());
      return;
    }
    ctx.response().addCookie(cookie(token));
    ctx.response().setStatusCode(204).end();
  }

  private static Cookie cookie(String token) {
    return Cookie.cookie(COOKIE, token).setHttpOnly(true).setSameSite(CookieSameSite.STRICT).setPath("/");
  }

  /** Server-sent events: one {@code tick} per second for as long as the page stays open. */
  private void live(RoutingContext ctx) {
    AppId app = new AppId(ctx.pathParam("project"), ctx.pathParam("app"));
    HttpServerResponse response = ctx.response().setChunked(true)
        .putHeader("content-type", "text/event-stream").putHeader("cache-control", "no-cache");
    response.write(": live feed of " + app.key() + "\n\n");
    boolean[] busy = {false};
    long timer = vertx.setPeriodic(0, TICK_MILLIS, t -> {
      if (busy[0] || response.writeQueueFull()) {
        return;
      }
      busy[0] = true;
      tick(app).onComplete(done -> {
        busy[0] = false;
        if (done.succeeded() && !response.closed()) {
          response.write("event: tick\ndata: " + done.result().encode() + "\n\n");
        }
      });
    });
    response.closeHandler(closed -> vertx.cancelTimer(timer));
  }

  private Future<JsonObject> tick(AppId app) {
    long now = System.currentTimeMillis();
    RecordQuery recent = new RecordQuery(app.key(), null, null, now - RECENT_MILLIS, Long.MAX_VALUE, Long.MAX_VALUE,
        RecordQuery.MAX_LIMIT, null);
    return records.fleet(recent).map(found -> new JsonObject()
        .put("at", now)
        .put("scaling", scalingState.apply(app).orElse(new JsonObject()))
        .put("requests", summary(found.getJsonArray("records"), RECENT_MILLIS / 1000.0)));
  }

  /** Rate, error share and latency percentiles of the records of one window. */
  static JsonObject summary(JsonArray recent, double seconds) {
    double[] latencies = new double[recent.size()];
    int errors = 0;
    for (int i = 0; i < recent.size(); i++) {
      JsonObject record = recent.getJsonObject(i);
      latencies[i] = record.getDouble("latency_ms");
      int status = record.getInteger("status");
      if (status >= 500 || status == 0) {
        errors++;
      }
    }
    Arrays.sort(latencies);
    return new JsonObject().put("rate", recent.size() / seconds)
        .put("errors", errors)
        .put("error_rate", recent.isEmpty() ? 0.0 : (double) errors / recent.size())
        .put("p50_ms", percentile(latencies, 0.50))
        .put("p99_ms", percentile(latencies, 0.99))
        .put("sampled", recent.size());
  }

  private static Double percentile(double[] sorted, double q) {
    if (sorted.length == 0) {
      return null;
    }
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(q * sorted.length) - 1)];
  }
}

package io.sluice.dataplane.admin;

import io.sluice.config.AppId;
import io.sluice.dataplane.logs.FleetLogs;
import io.sluice.dataplane.proxy.ErrorReply;
import io.sluice.dataplane.proxy.RequestIds;
import io.sluice.dataplane.replica.local.LogLine;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Replicas' logs on the admin API: the last lines as text, or, with {@code follow=true}, the last lines and then every
 * new one as server-sent events, replicas that start later included.
 *
 * <pre>
 * GET /v1/apps/{project}/{app}/logs?replica=R&amp;tail=N               text/plain, N lines per replica (200)
 * GET /v1/apps/{project}/{app}/logs?follow=true&amp;replica=R&amp;tail=N   text/event-stream, N lines per replica (10)
 * </pre>
 *
 * <p>Lines are those of the app's replicas on every node of the fleet ({@link FleetLogs}): any node answers for all.
 * A node that did not answer a read is named in {@code X-Sluice-Nodes-Unanswered}; a follow asks it again every few
 * seconds.
 */
final class LogRoutes {

  /** Followers one node serves at once, each with a buffer of {@link #FOLLOWER_BUFFER_BYTES}. */
  static final int MAX_FOLLOWERS = 32;
  static final long FOLLOWER_BUFFER_BYTES = 1024 * 1024;
  private static final int MAX_TAIL = 10_000;

  private final Vertx vertx;
  private final FleetLogs logs;
  private final Predicate<AppId> deployed;
  private final AtomicInteger following = new AtomicInteger();

  LogRoutes(Vertx vertx, FleetLogs logs, Predicate<AppId> deployed) {
    this.vertx = vertx;
    this.logs = logs;
    this.deployed = deployed;
  }

  void mount(Router router) {
    router.get("/v1/apps/:project/:app/logs").handler(this::logs);
  }

  private void logs(RoutingContext ctx) {
    AppId id;
    try {
      id = new AppId(ctx.pathParam("project"), ctx.pathParam("app"));
    } catch (IllegalArgumentException e) {
      AdminApi.error(ctx, 404, "app_not_found", e.getMessage());
      return;
    }
    String replica = ctx.request().getParam("replica");
    String follow = ctx.request().getParam("follow", "false");
    if (follow.equals("true") || follow.equals("1")) {
      follow(ctx, id, replica, tailParam(ctx, 10, 0));
    } else {
      lastLines(ctx, id, replica, tailParam(ctx, 200, 1));
    }
  }

  private void lastLines(RoutingContext ctx, AppId id, String replica, int tail) {
    logs.tails(id, replica, tail).onComplete(read -> {
      if (read.failed()) {
        AdminApi.error(ctx, 500, "logs_unreadable", read.cause().getMessage());
        return;
      }
      Map<String, List<String>> tails = read.result().byReplica();
      if (!read.result().unanswered().isEmpty()) {
        ctx.response().putHeader("X-Sluice-Nodes-Unanswered", String.join(",", read.result().unanswered()));
      }
      if (tails.isEmpty()) {
        AdminApi.error(ctx, 404, "no_logs", "no replica logs for " + id + (replica == null ? "" : " replica " + replica));
        return;
      }
      StringBuilder text = new StringBuilder();
      boolean many = tails.size() > 1;
      tails.forEach((name, lines) -> {
        for (String line : lines) {
          text.append(many ? "[" + name + "] " : "").append(line).append('\n');
        }
      });
      ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8").end(text.toString());
    });
  }

  /**
   * Follows the app on every node: each sends its replicas' tails, then lines as they come (each node subscribes
   * before it reads its tail and leaves out what the tail holds, so nothing is missed or sent twice); the events start
   * with the tails, oldest first, once every node has sent its own.
   */
  private void follow(RoutingContext ctx, AppId id, String replica, int tail) {
    if (following.incrementAndGet() > MAX_FOLLOWERS) {
      following.decrementAndGet();
      ErrorReply.send(ctx.response(), 503, "too_many_followers", "this node serves " + MAX_FOLLOWERS
          + " log followers at most; try again when one has left", RequestIds.next(), 5);
      return;
    }
    LogEventStream stream = new LogEventStream(vertx, ctx.response(), FOLLOWER_BUFFER_BYTES);
    FleetLogs.Follow follow = logs.follow(id, replica, tail, new FleetLogs.Follower() {
      @Override
      public void line(LogLine line) {
        stream.offer(line);
      }

      @Override
      public void dropped(long lines) {
        stream.dropped(lines);
      }
    });
    stream.onClose(() -> {
      follow.close();
      following.decrementAndGet();
    });
    follow.started().onComplete(read -> {
      if (read.failed()) {
        // The client left before the tails came.
        stream.close();
      } else if (read.result().isEmpty() && !deployed.test(id)) {
        stream.close();
        AdminApi.error(ctx, 404, "no_logs", "no app " + id + " and no replica logs for it");
      } else {
        stream.start(id, read.result());
      }
    });
  }

  private static int tailParam(RoutingContext ctx, int fallback, int min) {
    String given = ctx.request().getParam("tail");
    if (given == null) {
      return fallback;
    }
    try {
      return (int) Math.max(min, Math.min(MAX_TAIL, Long.parseLong(given.trim())));
    } catch (NumberFormatException e) {
      return fallback;
    }
  }
}

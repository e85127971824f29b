package io.sluice.dataplane.admin;

import io.sluice.config.AppId;
import io.sluice.dataplane.proxy.ErrorReply;
import io.sluice.dataplane.proxy.RequestIds;
import io.sluice.dataplane.replica.local.LogFollowers;
import io.sluice.dataplane.replica.local.LogLine;
import io.sluice.dataplane.replica.local.ReplicaLogs;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;
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
 * <p>Lines are those of this node's replicas (in a fleet, follow each node that runs the app's replicas).
 */
final class LogRoutes {

  /** Followers one node serves at once, each with a buffer of {@link #FOLLOWER_BUFFER_BYTES}. */
  static final int MAX_FOLLOWERS = 32;
  static final long FOLLOWER_BUFFER_BYTES = 1024 * 1024;
  private static final int MAX_TAIL = 10_000;

  private final Vertx vertx;
  private final ReplicaLogs logs;
  private final Predicate<AppId> deployed;
  private final AtomicInteger following = new AtomicInteger();

  LogRoutes(Vertx vertx, ReplicaLogs logs, Predicate<AppId> deployed) {
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
    vertx.executeBlocking(() -> logs.tails(id, replica, tail), false).onComplete(read -> {
      if (read.failed()) {
        AdminApi.error(ctx, 500, "logs_unreadable", read.cause().getMessage());
        return;
      }
      Map<String, List<String>> tails = read.result();
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
   * Subscribes first, so that nothing printed while the tail is read is missed, reads the tail off the loop, sends it,
   * then the queued lines that the tail did not already hold, then lines as they come.
   */
  private void follow(RoutingContext ctx, AppId id, String replica, int tail) {
    if (following.incrementAndGet() > MAX_FOLLOWERS) {
      following.decrementAndGet();
      ErrorReply.send(ctx.response(), 503, "too_many_followers", "this node serves " + MAX_FOLLOWERS
          + " log followers at most; try again when one has left", RequestIds.next(), 5);
      return;
    }
    LogEventStream stream = new LogEventStream(vertx, ctx.response(), FOLLOWER_BUFFER_BYTES);
    LogFollowers.Subscription subscription = logs.followers().follow(id, replica, stream::offer);
    stream.onClose(() -> {
      subscription.close();
      following.decrementAndGet();
    });
    vertx.executeBlocking(() -> logs.tails(id, replica, tail), false).onComplete(read -> {
      if (read.failed()) {
        stream.close();
        AdminApi.error(ctx, 500, "logs_unreadable", read.cause().getMessage());
      } else if (read.result().isEmpty() && !deployed.test(id)) {
        stream.close();
        AdminApi.error(ctx, 404, "no_logs", "no app " + id + " and no replica logs for it");
      } else {
        stream.start(id, parsed(read.result()));
      }
    });
  }

  private static Map<String, List<LogLine>> parsed(Map<String, List<String>> tails) {
    Map<String, List<LogLine>> lines = new LinkedHashMap<>();
    tails.forEach((replica, stored) -> lines.put(replica,
        stored.stream().map(line -> LogLine.parse(replica, line)).toList()));
    return lines;
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

package io.sluice.cluster.runs;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One asynchronous run: the request as it was accepted (method, public URI, headers; its body is stored beside it),
 * where it is in its life, who holds it and until when, and its outcome. Immutable: each change makes a new record,
 * which {@link FleetRuns} writes with a compare-and-set.
 *
 * <p>States: {@code queued} (accepted, or waiting to be tried again), {@code running}, and the final ones
 * {@code succeeded} (the replica answered 1xx-3xx), {@code failed} (it answered 4xx/5xx, or Sluice gave up) and
 * {@code cancelled}. A run with a webhook has work left after its final state until the webhook is delivered or given
 * up on.
 */
public final class RunRecord {

  public static final String QUEUED = "queued";
  public static final String RUNNING = "running";
  public static final String SUCCEEDED = "succeeded";
  public static final String FAILED = "failed";
  public static final String CANCELLED = "cancelled";

  private static final String WEBHOOK_PENDING = "pending";
  private static final String WEBHOOK_DELIVERED = "delivered";
  private static final String WEBHOOK_FAILED = "failed";

  private final JsonObject json;

  private RunRecord(JsonObject json) {
    this.json = json;
  }

  /** A run just accepted; {@code webhook} may be null. */
  public static RunRecord accepted(String id, String project, String app, String method, String uri,
      List<Map.Entry<String, String>> headers, String webhook, long now) {
    JsonArray headerPairs = new JsonArray();
    headers.forEach(header -> headerPairs.add(new JsonArray().add(header.getKey()).add(header.getValue())));
    JsonObject json = new JsonObject().put("id", id).put("project", project).put("app", app)
        .put("method", method).put("uri", uri).put("headers", headerPairs)
        .put("state", QUEUED).put("attempts", 0).put("due_at", 0L).put("created_at", now);
    if (webhook != null) {
      json.put("webhook", new JsonObject().put("url", webhook).put("state", WEBHOOK_PENDING).put("attempts", 0));
    }
    return new RunRecord(json);
  }

  public static RunRecord decode(String encoded) {
    return new RunRecord(new JsonObject(encoded));
  }

  public String encode() {
    return json.encode();
  }

  public String id() {
    return json.getString("id");
  }

  public String project() {
    return json.getString("project");
  }

  public String app() {
    return json.getString("app");
  }

  public String method() {
    return json.getString("method");
  }

  public String uri() {
    return json.getString("uri");
  }

  public List<Map.Entry<String, String>> headers() {
    return json.getJsonArray("headers").stream()
        .map(pair -> Map.entry(((JsonArray) pair).getString(0), ((JsonArray) pair).getString(1))).toList();
  }

  public String state() {
    return json.getString("state");
  }

  public int attempts() {
    return json.getInteger("attempts");
  }

  public long leaseUntil() {
    return json.getLong("lease_until", 0L);
  }

  public long dueAt() {
    return json.getLong("due_at", 0L);
  }

  public boolean cancelRequested() {
    return json.getBoolean("cancel_requested", false);
  }

  public boolean finished() {
    String state = state();
    return state.equals(SUCCEEDED) || state.equals(FAILED) || state.equals(CANCELLED);
  }

  /** The webhook's URL, or null. */
  public String webhookUrl() {
    JsonObject webhook = json.getJsonObject("webhook");
    return webhook == null ? null : webhook.getString("url");
  }

  public int webhookAttempts() {
    JsonObject webhook = json.getJsonObject("webhook");
    return webhook == null ? 0 : webhook.getInteger("attempts");
  }

  public boolean webhookPending() {
    JsonObject webhook = json.getJsonObject("webhook");
    return webhook != null && WEBHOOK_PENDING.equals(webhook.getString("state"));
  }

  /** Whether something is left to do: running it, or delivering its webhook once it is over. */
  public boolean hasWork() {
    return !finished() || webhookPending();
  }

  boolean claimable(long now) {
    String owner = json.getString("owner");
    return hasWork() && dueAt() <= now && (owner == null || leaseUntil() < now);
  }

  boolean heldBy(String node) {
    return node.equals(json.getString("owner"));
  }

  /** Taken by {@code node}: a run not yet over becomes running (again, if its last runner went away). */
  RunRecord claimedBy(String node, long now, Duration lease) {
    JsonObject next = json.copy().put("owner", node).put("lease_until", now + lease.toMillis());
    if (!finished()) {
      next.put("state", RUNNING).put("attempts", attempts() + 1).put("started_at", now);
    }
    return new RunRecord(next);
  }

  RunRecord withLease(long until) {
    return new RunRecord(json.copy().put("lease_until", until));
  }

  /** No longer held by anyone. */
  RunRecord released() {
    JsonObject next = json.copy();
    next.remove("owner");
    next.remove("lease_until");
    return new RunRecord(next);
  }

  /** Cancelled: at once when not running, flagged for its runner when running; null when already over. */
  RunRecord cancelled(long now) {
    if (finished()) {
      return null;
    }
    if (state().equals(RUNNING)) {
      return cancelRequested() ? null : new RunRecord(json.copy().put("cancel_requested", true));
    }
    return finish(CANCELLED, now).put("error", "cancelled: the caller cancelled the run before it ran").wrap();
  }

  /** The replica answered: the run is over, with its answer as the result. */
  public RunRecord answered(int status, List<Map.Entry<String, String>> headers, long bodyBytes, long now) {
    JsonArray headerPairs = new JsonArray();
    headers.forEach(header -> headerPairs.add(new JsonArray().add(header.getKey()).add(header.getValue())));
    return finish(status < 400 ? SUCCEEDED : FAILED, now)
        .put("result", new JsonObject().put("status", status).put("headers", headerPairs).put("body_bytes", bodyBytes))
        .wrap();
  }

  /** Over without an answer from a replica (given up, or stopped on request). */
  public RunRecord ended(String state, String error, long now) {
    return finish(state, now).put("error", error).wrap();
  }

  /** Back in the queue, to be tried again from {@code dueAt}. */
  public RunRecord retryAt(long dueAt, String error) {
    return new RunRecord(json.copy().put("state", QUEUED).put("due_at", dueAt).put("last_error", error));
  }

  /** The webhook was delivered, failed for good, or is to be tried again from {@code nextAt} (when >= 0). */
  public RunRecord webhookTried(boolean delivered, Integer status, String error, long nextAt, boolean giveUp) {
    JsonObject webhook = json.getJsonObject("webhook").copy().put("attempts", webhookAttempts() + 1)
        .put("last_status", status).put("last_error", error);
    JsonObject next = json.copy();
    if (delivered) {
      webhook.put("state", WEBHOOK_DELIVERED);
    } else if (giveUp) {
      webhook.put("state", WEBHOOK_FAILED);
    } else {
      next.put("due_at", nextAt);
    }
    return new RunRecord(next.put("webhook", webhook));
  }

  private Builder finish(String state, long now) {
    JsonObject next = json.copy().put("state", state).put("finished_at", now).put("due_at", 0L);
    next.remove("cancel_requested");
    return new Builder(next);
  }

  /** The run as callers see it: ids, state, times as ISO-8601, result summary, webhook outcome. */
  public JsonObject view() {
    JsonObject view = new JsonObject().put("run_id", id()).put("project", project()).put("app", app())
        .put("state", state()).put("attempts", attempts())
        .put("created_at", iso(json.getLong("created_at")))
        .put("started_at", iso(json.getLong("started_at")))
        .put("finished_at", iso(json.getLong("finished_at")));
    if (json.containsKey("error")) {
      view.put("error", json.getString("error"));
    } else if (json.containsKey("last_error") && !finished()) {
      view.put("last_error", json.getString("last_error"));
    }
    if (cancelRequested()) {
      view.put("cancel_requested", true);
    }
    JsonObject result = json.getJsonObject("result");
    if (result != null) {
      JsonObject headers = new JsonObject();
      result.getJsonArray("headers").forEach(pair ->
          headers.put(((JsonArray) pair).getString(0).toLowerCase(), ((JsonArray) pair).getString(1)));
      view.put("result", new JsonObject().put("status", result.getInteger("status")).put("headers", headers)
          .put("body_bytes", result.getLong("body_bytes")));
    }
    JsonObject webhook = json.getJsonObject("webhook");
    if (webhook != null) {
      view.put("webhook", webhook.copy());
    }
    return view;
  }

  /** The replica's status and headers, when it answered. */
  public JsonObject result() {
    return json.getJsonObject("result");
  }

  private static String iso(Long millis) {
    return millis == null ? null : Instant.ofEpochMilli(millis).toString();
  }

  private record Builder(JsonObject json) {
    Builder put(String key, Object value) {
      json.put(key, value);
      return this;
    }

    RunRecord wrap() {
      return new RunRecord(json);
    }
  }
}

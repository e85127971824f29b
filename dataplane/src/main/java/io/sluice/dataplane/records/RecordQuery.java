package io.sluice.dataplane.records;

import io.vertx.core.MultiMap;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * Which request records to return: by app ({@code project/app}), status class ({@code 2xx}, {@code 5xx}, or an exact
 * status), request id, a time range, newest first, at most {@code limit}; {@code before} pages back (records that
 * started before that instant, epoch milliseconds). {@code routed}: true for the records of requests that reached an
 * app, false for those refused before, null for both.
 */
public record RecordQuery(String app, String status, String requestId, long sinceMillis, long untilMillis,
    long beforeMillis, int limit, Boolean routed) {

  public static final int MAX_LIMIT = 1000;

  public RecordQuery {
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new IllegalArgumentException("limit: " + limit + " (expected: 1.." + MAX_LIMIT + ")");
    }
    if (routed != null && app != null && !routed) {
      throw new IllegalArgumentException("routed: false (expected: true or absent with app " + app + ": the "
          + "records of an app are of requests that reached it)");
    }
    if (status != null && !status.matches("[1-5]xx|[1-5][0-9][0-9]|none")) {
      throw new IllegalArgumentException("status: " + status + " (expected: a class such as 5xx, a status such as "
          + "404, or none)");
    }
  }

  /** From an admin request's query parameters; a bad one throws with what is expected. */
  public static RecordQuery of(MultiMap params, String app) {
    return new RecordQuery(app != null ? app : params.get("app"), params.get("status"), params.get("request_id"),
        time(params.get("since"), "since", 0), time(params.get("until"), "until", Long.MAX_VALUE),
        time(params.get("before"), "before", Long.MAX_VALUE), integer(params.get("limit"), 50),
        bool(params.get("routed")));
  }

  boolean matches(RequestRecord record) {
    if (record == null) {
      return false;
    }
    if (app != null && !(record.project() + "/" + record.app()).equals(app)) {
      return false;
    }
    if (routed != null && routed == (record.app() == null)) {
      return false;
    }
    if (requestId != null && !requestId.equals(record.requestId())) {
      return false;
    }
    if (status != null && !(status.endsWith("xx") || status.equals("none")
        ? status.equals(record.statusClass()) : status.equals(Integer.toString(record.status())))) {
      return false;
    }
    long start = record.startMillis();
    return start >= sinceMillis && start <= untilMillis && start < beforeMillis;
  }

  public JsonObject toJson() {
    return new JsonObject().put("app", app).put("status", status).put("request_id", requestId)
        .put("since", sinceMillis).put("until", untilMillis).put("before", beforeMillis).put("limit", limit)
        .put("routed", routed);
  }

  public static RecordQuery fromJson(JsonObject json) {
    return new RecordQuery(json.getString("app"), json.getString("status"), json.getString("request_id"),
        json.getLong("since"), json.getLong("until"), json.getLong("before"), json.getInteger("limit"),
        json.getBoolean("routed"));
  }

  private static long time(String value, String name, long absent) {
    if (value == null) {
      return absent;
    }
    if (value.matches("[0-9]+")) {
      return Long.parseLong(value);
    }
    try {
      return Instant.parse(value).toEpochMilli();
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(name + ": " + value + " (expected: ISO-8601 such as "
          + "2026-11-24T10:00:00Z, or epoch milliseconds)");
    }
  }

  private static Boolean bool(String value) {
    if (value == null) {
      return null;
    }
    if (!value.equals("true") && !value.equals("false")) {
      throw new IllegalArgumentException("routed: " + value + " (expected: true for requests that reached an app, "
          + "false for those refused before)");
    }
    return Boolean.valueOf(value);
  }

  private static int integer(String value, int absent) {
    if (value == null) {
      return absent;
    }
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("limit: " + value + " (expected: a whole number, 1.." + MAX_LIMIT + ")");
    }
  }
}

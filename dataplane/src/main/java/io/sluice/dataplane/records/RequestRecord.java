package io.sluice.dataplane.records;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * What one request through a node came to: who asked what of which app, how it ended, and where its time went.
 *
 * @param kind {@code http}, {@code grpc} or {@code websocket}
 * @param status the status the client was sent (101 for a WebSocket); 0 when the client left before any
 * @param startMillis when the request's head arrived, epoch milliseconds
 * @param totalMicros from the head's arrival to the answer's last byte (a WebSocket: to its 101)
 * @param heldMicros how long it waited for a replica slot (cold start or saturation)
 * @param firstByteMicros from getting a slot to the replica's first byte of answer; -1 when none came
 * @param transferMicros from the replica's first byte to the last; -1 when none came
 * @param replica the replica that served it, or null
 * @param caller the app that made the call, for a call from one app to another (its replica token); else null
 * @param runId the asynchronous run it carried out, or null
 * @param errorCode Sluice's own error code when it answered the error itself, else null
 * @param traceparent the W3C {@code traceparent} it came with, or null
 * @param payload the start of its bodies and their headers, redacted, when its app captures payloads; else null
 * @param client the client's address (the peer of the connection it came on), or null when unknown
 * @param websocket how a WebSocket session ended, once it has; else null
 */
public record RequestRecord(
    String requestId,
    String project,
    String app,
    String kind,
    String method,
    String path,
    int status,
    long startMillis,
    long totalMicros,
    long heldMicros,
    long firstByteMicros,
    long transferMicros,
    String replica,
    String node,
    long bytesIn,
    long bytesOut,
    String caller,
    String runId,
    String errorCode,
    String traceparent,
    JsonObject payload,
    String client,
    WebSocketEnd websocket) {

  /**
   * The record of a request the node refused before it got to an app (no or a bad credential, no such app, a malformed
   * or oversized request, the node draining): what is known of it. No header is kept, so neither is a credential.
   *
   * @param project the app's project when the request named an app the node found, else null (so for app too)
   * @param kind {@code http} or {@code grpc}
   * @param method null when the request line could not be read
   * @param uri the request's URI as sent; its record keeps the path without the query (a client whose header was
   *     refused may have tried its key there) and cut to {@link #MAX_REFUSED_PATH_CHARS}; null when the request line
   *     could not be read
   */
  public static RequestRecord refused(String requestId, String project, String app, String kind, String method,
      String uri, int status, String errorCode, long startMillis, long totalMicros, String node, String client) {
    String path = uri;
    if (path != null && path.indexOf('?') >= 0) {
      path = path.substring(0, path.indexOf('?'));
    }
    if (path != null && path.length() > MAX_REFUSED_PATH_CHARS) {
      path = path.substring(0, MAX_REFUSED_PATH_CHARS) + "...";
    }
    return new RequestRecord(requestId, project, app, kind, method, path, status, startMillis, totalMicros, 0,
        -1, -1, null, node, 0, 0, null, null, errorCode, null, null, client, null);
  }

  /** How much of a refused request's path its record keeps: a 414's is as long as the node's request line limit. */
  public static final int MAX_REFUSED_PATH_CHARS = 512;

  /** The status class a filter names it by: {@code 2xx}, {@code 4xx}, ..., or {@code none}. */
  public String statusClass() {
    return status == 0 ? "none" : (status / 100) + "xx";
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("request_id", requestId).put("project", project).put("app", app).put("kind", kind)
        .put("method", method).put("path", path).put("status", status)
        .put("start", Instant.ofEpochMilli(startMillis).toString()).put("start_ms", startMillis)
        .put("latency_ms", totalMicros / 1000.0)
        .put("held_ms", heldMicros / 1000.0)
        .put("first_byte_ms", firstByteMicros < 0 ? null : firstByteMicros / 1000.0)
        .put("transfer_ms", transferMicros < 0 ? null : transferMicros / 1000.0)
        .put("replica", replica).put("node", node).put("bytes_in", bytesIn).put("bytes_out", bytesOut)
        .put("caller", caller).put("run_id", runId).put("error", errorCode).put("traceparent", traceparent)
        .put("payload", payload).put("client", client)
        .put("websocket", websocket == null ? null : websocket.toJson());
  }

  /** Body bytes its payload keeps: what the ring bounds. */
  int payloadBytes() {
    return payload == null ? 0 : payload.getInteger("kept_bytes", 0);
  }

  public static RequestRecord fromJson(JsonObject json) {
    return new RequestRecord(json.getString("request_id"), json.getString("project"), json.getString("app"),
        json.getString("kind"), json.getString("method"), json.getString("path"), json.getInteger("status"),
        json.getLong("start_ms"), micros(json.getDouble("latency_ms")), micros(json.getDouble("held_ms")),
        micros(json.getDouble("first_byte_ms")), micros(json.getDouble("transfer_ms")), json.getString("replica"),
        json.getString("node"), json.getLong("bytes_in"), json.getLong("bytes_out"), json.getString("caller"),
        json.getString("run_id"), json.getString("error"), json.getString("traceparent"),
        json.getJsonObject("payload"), json.getString("client"),
        WebSocketEnd.fromJson(json.getJsonObject("websocket")));
  }

  private static long micros(Double millis) {
    return millis == null ? -1 : Math.round(millis * 1000);
  }
}

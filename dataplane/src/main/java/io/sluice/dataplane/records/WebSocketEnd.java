package io.sluice.dataplane.records;

import io.vertx.core.json.JsonObject;

/**
 * How a WebSocket session ended, for its request record: whose close came first and with which code, how long the
 * session lasted after its 101, and what went across it. The record's own status stays 101 (what the client was
 * sent); this says what became of the socket.
 *
 * @param closeCode the first close: the code of the first close frame either side sent, or the code the node sent the
 *     client when it closed the session itself; 1005 for a close frame without a code, 1006 for a client that went
 *     without one
 * @param closedBy {@code client}, {@code replica} or {@code node} (idle timeout, session limit, a message over the
 *     limit, a protocol violation, a replica whose connection was lost)
 * @param closeReason the close's reason text, or null
 * @param sessionMicros from the 101 until the first of its two connections ended
 * @param messagesIn whole messages from the client (a fragmented message counts once)
 * @param messagesOut whole messages from the replica
 * @param bytesIn payload bytes of the client's data frames
 * @param bytesOut payload bytes of the replica's data frames
 */
public record WebSocketEnd(int closeCode, String closedBy, String closeReason, long sessionMicros, long messagesIn,
    long messagesOut, long bytesIn, long bytesOut) {

  public static final String CLIENT = "client";
  public static final String REPLICA = "replica";
  public static final String NODE = "node";

  public JsonObject toJson() {
    return new JsonObject().put("close_code", closeCode).put("closed_by", closedBy).put("close_reason", closeReason)
        .put("session_ms", sessionMicros / 1000.0).put("messages_in", messagesIn).put("messages_out", messagesOut)
        .put("bytes_in", bytesIn).put("bytes_out", bytesOut);
  }

  static WebSocketEnd fromJson(JsonObject json) {
    return json == null ? null : new WebSocketEnd(json.getInteger("close_code"), json.getString("closed_by"),
        json.getString("close_reason"), Math.round(json.getDouble("session_ms") * 1000),
        json.getLong("messages_in"), json.getLong("messages_out"), json.getLong("bytes_in"), json.getLong("bytes_out"));
  }
}

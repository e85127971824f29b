package io.sluice.dataplane.proxy;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.vertx.core.http.HttpHeaders;
import java.nio.charset.StandardCharsets;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

/**
 * Every error Sluice itself answers has one shape: {@code {"error": {"code", "message", "request_id"}}}.
 *
 * <p>Sending cannot throw: an answer that can no longer be sent (headers gone, connection closed) resets the stream
 * instead, so a client never waits for a response that will not come.
 */
public final class ErrorReply {

  /** Names the error on Sluice's own answers, so that a client can tell them from its app's: the body's code. */
  public static final String SLUICE_ERROR = "X-Sluice-Error";

  private ErrorReply() {}

  public static void send(HttpServerResponse response, int status, String code, String message, String requestId) {
    send(response, status, code, message, requestId, 0);
  }

  /** As {@link #send}, with a {@code Retry-After} header when {@code retryAfterSeconds > 0}. */
  public static void send(
      HttpServerResponse response, int status, String code, String message, String requestId, int retryAfterSeconds) {
    try {
      if (response.ended() || response.closed()) {
        return;
      }
      if (response.headWritten()) {
        response.reset();
        return;
      }
      String body = body(code, message, requestId).encode();
      String connection = response.headers().get(HttpHeaders.CONNECTION);
      response.setStatusCode(status);
      response.headers().clear();
      if (connection != null) {
        response.putHeader(HttpHeaders.CONNECTION, connection);
      }
      response.putHeader(HttpHeaders.CONTENT_TYPE, "application/json");
      if (requestId != null) {
        response.putHeader(ProxyHeaders.X_REQUEST_ID, requestId);
      }
      if (retryAfterSeconds > 0) {
        response.putHeader(HttpHeaders.RETRY_AFTER, Integer.toString(retryAfterSeconds));
      }
      response.end(body);
    } catch (RuntimeException alreadyGone) {
      // The connection went away while we answered: nothing is left to tell the client.
    }
  }

  /** The same error as a whole response of the proxy's own pipeline; {@code close} adds {@code Connection: close}. */
  static FullHttpResponse response(
      int status, String code, String message, String requestId, int retryAfterSeconds, boolean close) {
    byte[] body = body(code, message, requestId).encode().getBytes(StandardCharsets.UTF_8);
    FullHttpResponse response = new DefaultFullHttpResponse(
        HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status), Unpooled.wrappedBuffer(body));
    io.netty.handler.codec.http.HttpHeaders headers = response.headers();
    headers.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
    headers.setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    if (requestId != null) {
      headers.set(ProxyHeaders.X_REQUEST_ID, requestId);
    }
    headers.set(SLUICE_ERROR, code);
    if (retryAfterSeconds > 0) {
      headers.setInt(HttpHeaderNames.RETRY_AFTER, retryAfterSeconds);
    }
    if (close) {
      headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    return response;
  }

  public static JsonObject body(String code, String message, String requestId) {
    JsonObject error = new JsonObject().put("code", code).put("message", message);
    if (requestId != null) {
      error.put("request_id", requestId);
    }
    return new JsonObject().put("error", error);
  }
}

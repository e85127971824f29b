package io.sluice.dataplane.proxy;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;

/**
 * Sluice's own errors as a gRPC client understands them: an HTTP 200 whose only HEADERS frame carries
 * {@code grpc-status} and {@code grpc-message} ("trailers-only"), or, once a replica's answer has begun, trailers that
 * end it with a status. The HTTP status Sluice would have sent picks the code; the request id and a retry hint go
 * along as metadata.
 */
final class GrpcStatus {

  static final int OK = 0;
  static final int CANCELLED = 1;
  static final int UNKNOWN = 2;
  static final int INVALID_ARGUMENT = 3;
  static final int DEADLINE_EXCEEDED = 4;
  static final int NOT_FOUND = 5;
  static final int PERMISSION_DENIED = 7;
  static final int RESOURCE_EXHAUSTED = 8;
  static final int UNIMPLEMENTED = 12;
  static final int INTERNAL = 13;
  static final int UNAVAILABLE = 14;
  static final int UNAUTHENTICATED = 16;

  static final AsciiString GRPC_STATUS = AsciiString.cached("grpc-status");
  static final AsciiString GRPC_MESSAGE = AsciiString.cached("grpc-message");
  static final AsciiString GRPC_TIMEOUT = AsciiString.cached("grpc-timeout");
  private static final AsciiString GRPC_RETRY_PUSHBACK_MS = AsciiString.cached("grpc-retry-pushback-ms");
  private static final AsciiString APPLICATION_GRPC = AsciiString.cached("application/grpc");
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private GrpcStatus() {}

  /** A gRPC call: its content type is {@code application/grpc} or one of its {@code +proto}-style variants. */
  static boolean isGrpc(HttpHeaders headers) {
    String type = headers.get(HttpHeaderNames.CONTENT_TYPE);
    return type != null && type.regionMatches(true, 0, "application/grpc", 0, 16)
        && (type.length() == 16 || type.charAt(16) == '+' || type.charAt(16) == ';');
  }

  /** The gRPC code for what Sluice answers over HTTP with {@code httpStatus}. */
  static int codeFor(int httpStatus) {
    return switch (httpStatus) {
      case 400 -> INVALID_ARGUMENT;
      case 401 -> UNAUTHENTICATED;
      case 403 -> PERMISSION_DENIED;
      case 404 -> NOT_FOUND;
      case 408, 504 -> DEADLINE_EXCEEDED;
      case 413, 414, 429, 431 -> RESOURCE_EXHAUSTED;
      case 502, 503 -> UNAVAILABLE;
      default -> UNKNOWN;
    };
  }

  /** A whole answer that carries only a status (trailers-only), for an error before any answer began. */
  static FullHttpResponse reply(int httpStatus, String code, String message, String requestId,
      int retryAfterSeconds) {
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
        Unpooled.EMPTY_BUFFER);
    HttpHeaders headers = response.headers();
    headers.set(HttpHeaderNames.CONTENT_TYPE, APPLICATION_GRPC);
    status(headers, codeFor(httpStatus), code, message);
    if (requestId != null) {
      headers.set(ProxyHeaders.X_REQUEST_ID, requestId);
    }
    if (retryAfterSeconds > 0) {
      headers.setInt(HttpHeaderNames.RETRY_AFTER, retryAfterSeconds);
      headers.setInt(GRPC_RETRY_PUSHBACK_MS, retryAfterSeconds * 1000);
    }
    return response;
  }

  /** Trailers that end an answer already under way with a status. */
  static LastHttpContent trailers(int grpcCode, String code, String message) {
    LastHttpContent last = new DefaultLastHttpContent();
    status(last.trailingHeaders(), grpcCode, code, message);
    return last;
  }

  private static void status(HttpHeaders headers, int grpcCode, String code, String message) {
    headers.setInt(GRPC_STATUS, grpcCode);
    headers.set(GRPC_MESSAGE, percentEncode(code + ": " + message));
  }

  /**
   * {@code grpc-message} is percent-encoded UTF-8: bytes outside printable ASCII, and '%' itself, as %XX (the gRPC
   * over HTTP/2 spec).
   */
  static String percentEncode(String message) {
    byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
    StringBuilder out = new StringBuilder(bytes.length);
    for (byte b : bytes) {
      int c = b & 0xFF;
      if (c >= 0x20 && c <= 0x7E && c != '%') {
        out.append((char) c);
      } else {
        out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xF]);
      }
    }
    return out.toString();
  }

  /**
   * A {@code grpc-timeout} value ("TimeoutValue TimeoutUnit": at most 8 digits and one of H, M, S, m, u, n) in
   * nanoseconds, or -1 when absent or malformed (a malformed one is left for the replica to judge).
   */
  static long timeoutNanos(String value) {
    if (value == null || value.length() < 2 || value.length() > 9) {
      return -1;
    }
    long amount = 0;
    for (int i = 0; i < value.length() - 1; i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      amount = amount * 10 + (c - '0');
    }
    return switch (value.charAt(value.length() - 1)) {
      case 'H' -> amount * 3_600_000_000_000L;
      case 'M' -> amount * 60_000_000_000L;
      case 'S' -> amount * 1_000_000_000L;
      case 'm' -> amount * 1_000_000L;
      case 'u' -> amount * 1_000L;
      case 'n' -> amount;
      default -> -1;
    };
  }

  /** {@code nanos} as a {@code grpc-timeout} value, in the finest unit that fits in 8 digits. */
  static String timeoutValue(long nanos) {
    long value = Math.max(0, nanos);
    char[] units = {'n', 'u', 'm', 'S', 'M', 'H'};
    long[] divisors = {1, 1_000, 1_000, 1_000, 60, 60};
    for (int i = 0; i < units.length; i++) {
      value = i == 0 ? value : ceilDiv(value, divisors[i]);
      if (value < 100_000_000L) {
        return value + String.valueOf(units[i]);
      }
    }
    return "99999999H";
  }

  private static long ceilDiv(long a, long b) {
    return (a + b - 1) / b;
  }
}

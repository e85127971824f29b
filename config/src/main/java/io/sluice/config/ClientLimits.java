package io.sluice.config;

import java.time.Duration;

/**
 * What a node's public port puts up with from a client before it answers with an error or hangs up; the
 * {@code [limits]} table of {@code sluice.toml}. The defaults suit inference traffic: large bodies (images, audio) are
 * allowed, slow ones are not.
 *
 * @param maxRequestLineBytes longer request lines get 414
 * @param maxHeaderBytes larger header blocks get 431
 * @param maxHeaderCount more header fields get 431
 * @param maxBodyBytes a larger body gets 413, before it is read when {@code Content-Length} says so
 * @param headerTimeout how long a client has to send a whole request head once it started one (or connected);
 *     then 408 and the connection closes
 * @param bodyIdleTimeout how long a request body may stall while Sluice is reading it; then 408 and close. Also the
 *     grace before {@code minBodyBytesPerSecond} applies
 * @param minBodyBytesPerSecond the slowest a request body may arrive on average, so that a client trickling a byte
 *     now and then is cut off too (Kestrel's MinRequestBodyDataRate); 0 turns it off
 * @param keepAliveTimeout how long an idle keep-alive connection stays open between requests
 * @param maxConnections client connections per node; beyond it a new connection gets 503 and is closed
 * @param maxWebSocketMessageBytes the largest WebSocket message a client may send; a larger one closes its socket
 *     with 1009
 */
public record ClientLimits(
    int maxRequestLineBytes,
    int maxHeaderBytes,
    int maxHeaderCount,
    long maxBodyBytes,
    Duration headerTimeout,
    Duration bodyIdleTimeout,
    long minBodyBytesPerSecond,
    Duration keepAliveTimeout,
    int maxConnections,
    long maxWebSocketMessageBytes) {

  public ClientLimits {
    require(maxRequestLineBytes >= 256, "maxRequestLineBytes", maxRequestLineBytes, ">= 256");
    require(maxHeaderBytes >= 1024, "maxHeaderBytes", maxHeaderBytes, ">= 1024");
    require(maxHeaderCount >= 8, "maxHeaderCount", maxHeaderCount, ">= 8");
    require(maxBodyBytes >= 0, "maxBodyBytes", maxBodyBytes, ">= 0");
    require(headerTimeout.toMillis() >= 10, "headerTimeout", headerTimeout, ">= 10 ms");
    require(bodyIdleTimeout.toMillis() >= 10, "bodyIdleTimeout", bodyIdleTimeout, ">= 10 ms");
    require(minBodyBytesPerSecond >= 0, "minBodyBytesPerSecond", minBodyBytesPerSecond, ">= 0");
    require(keepAliveTimeout.toMillis() >= 10, "keepAliveTimeout", keepAliveTimeout, ">= 10 ms");
    require(maxConnections >= 1, "maxConnections", maxConnections, ">= 1");
    require(maxWebSocketMessageBytes >= 125, "maxWebSocketMessageBytes", maxWebSocketMessageBytes, ">= 125");
  }

  public static ClientLimits defaults() {
    return new ClientLimits(8_192, 16_384, 100, 100L << 20, Duration.ofSeconds(10), Duration.ofSeconds(30),
        1024, Duration.ofSeconds(60), 10_000, 4L << 20);
  }

  public ClientLimits withMaxBodyBytes(long bytes) {
    return new ClientLimits(maxRequestLineBytes, maxHeaderBytes, maxHeaderCount, bytes, headerTimeout,
        bodyIdleTimeout, minBodyBytesPerSecond, keepAliveTimeout, maxConnections, maxWebSocketMessageBytes);
  }

  public ClientLimits withTimeouts(Duration header, Duration bodyIdle, Duration keepAlive) {
    return new ClientLimits(maxRequestLineBytes, maxHeaderBytes, maxHeaderCount, maxBodyBytes, header, bodyIdle,
        minBodyBytesPerSecond, keepAlive, maxConnections, maxWebSocketMessageBytes);
  }

  public ClientLimits withMaxConnections(int connections) {
    return new ClientLimits(maxRequestLineBytes, maxHeaderBytes, maxHeaderCount, maxBodyBytes, headerTimeout,
        bodyIdleTimeout, minBodyBytesPerSecond, keepAliveTimeout, connections, maxWebSocketMessageBytes);
  }

  public ClientLimits withMaxWebSocketMessageBytes(long bytes) {
    return new ClientLimits(maxRequestLineBytes, maxHeaderBytes, maxHeaderCount, maxBodyBytes, headerTimeout,
        bodyIdleTimeout, minBodyBytesPerSecond, keepAliveTimeout, maxConnections, bytes);
  }

  public ClientLimits withMaxHeaderCount(int count) {
    return new ClientLimits(maxRequestLineBytes, maxHeaderBytes, count, maxBodyBytes, headerTimeout,
        bodyIdleTimeout, minBodyBytesPerSecond, keepAliveTimeout, maxConnections, maxWebSocketMessageBytes);
  }

  /** The shortest timeout, which sets how often each event loop looks for connections past theirs. */
  public long shortestTimeoutMillis() {
    return Math.min(headerTimeout.toMillis(), Math.min(bodyIdleTimeout.toMillis(), keepAliveTimeout.toMillis()));
  }

  private static void require(boolean ok, String key, Object value, String expected) {
    if (!ok) {
      throw new IllegalArgumentException(key + ": " + value + " (expected: " + expected + ")");
    }
  }
}

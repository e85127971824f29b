package io.sluice.config;

import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * How long an app's WebSocket sessions may stay open and how large their messages may be; Sluice's extension table
 * ({@code [sluice]} / {@code sluice:}) sets them, since neither config format can.
 *
 * @param idleTimeout how long a session may go without a frame either way before the node closes it (1001)
 * @param maxSession how long a session may last at all before the node closes it (1001); zero for no limit
 * @param maxMessageBytes the largest message a client may send to the app (else 1009); empty for the node's own
 *     limit, and never above it: an app may lower the node's limit, not raise it
 */
public record WebSocketSpec(Duration idleTimeout, Duration maxSession, OptionalLong maxMessageBytes) {

  public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(300);
  /** The smallest message limit: a control frame may carry 125 bytes, and the limit bounds every frame. */
  public static final int MIN_MESSAGE_BYTES = 125;
  public static final WebSocketSpec DEFAULTS =
      new WebSocketSpec(DEFAULT_IDLE_TIMEOUT, Duration.ZERO, OptionalLong.empty());

  public WebSocketSpec {
    Objects.requireNonNull(idleTimeout, "idleTimeout");
    Objects.requireNonNull(maxSession, "maxSession");
    Objects.requireNonNull(maxMessageBytes, "maxMessageBytes");
    if (idleTimeout.isNegative() || idleTimeout.isZero()) {
      throw new IllegalArgumentException("idleTimeout: " + idleTimeout + " (expected: > 0)");
    }
    if (maxSession.isNegative()) {
      throw new IllegalArgumentException("maxSession: " + maxSession + " (expected: >= 0, 0 for no limit)");
    }
    if (maxMessageBytes.isPresent() && maxMessageBytes.getAsLong() < MIN_MESSAGE_BYTES) {
      throw new IllegalArgumentException("maxMessageBytes: " + maxMessageBytes.getAsLong() + " (expected: >= "
          + MIN_MESSAGE_BYTES + ")");
    }
  }

  /** Whether sessions have a length limit. */
  public boolean sessionLimited() {
    return !maxSession.isZero();
  }

  /** The message limit that applies on a node whose own limit is {@code nodeLimit}: the lower of the two. */
  public long maxMessageBytes(long nodeLimit) {
    return maxMessageBytes.isPresent() ? Math.min(nodeLimit, maxMessageBytes.getAsLong()) : nodeLimit;
  }
}

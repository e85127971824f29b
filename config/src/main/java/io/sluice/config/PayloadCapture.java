package io.sluice.config;

/**
 * Whether the node keeps the start of an app's request and response bodies with its request records, and how much:
 * off by default, since bodies can hold what their senders would not want kept.
 *
 * @param maxBytes how much of each body is kept, from its start
 */
public record PayloadCapture(boolean enabled, int maxBytes) {

  public static final int DEFAULT_MAX_BYTES = 4096;
  public static final int LIMIT_MAX_BYTES = 65_536;
  public static final PayloadCapture OFF = new PayloadCapture(false, DEFAULT_MAX_BYTES);

  public PayloadCapture {
    if (maxBytes < 1 || maxBytes > LIMIT_MAX_BYTES) {
      throw new IllegalArgumentException("maxBytes: " + maxBytes + " (expected: 1.." + LIMIT_MAX_BYTES + ")");
    }
  }
}

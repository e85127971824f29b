package io.sluice.dataplane.replica.local;

import java.time.Duration;

/**
 * Delay before the n-th restart in a row: {@code base * 2^(n-1)}, at most {@code cap}. A replica that stayed ready for
 * {@code resetAfter} starts counting again from one, as a container runtime's crash-loop back-off does.
 */
public record RestartBackoff(Duration base, Duration cap, Duration resetAfter) {

  public static RestartBackoff defaults() {
    return new RestartBackoff(Duration.ofMillis(200), Duration.ofSeconds(30), Duration.ofSeconds(60));
  }

  public RestartBackoff {
    if (base.isNegative() || cap.compareTo(base) < 0) {
      throw new IllegalArgumentException("base: " + base + ", cap: " + cap + " (expected: 0 <= base <= cap)");
    }
  }

  public Duration delayBefore(int restartInARow) {
    if (restartInARow < 1) {
      throw new IllegalArgumentException("restartInARow: " + restartInARow + " (expected: >= 1)");
    }
    int doublings = Math.min(restartInARow - 1, 30);
    long millis = base.toMillis() << doublings;
    return millis < 0 || millis > cap.toMillis() ? cap : Duration.ofMillis(millis);
  }
}

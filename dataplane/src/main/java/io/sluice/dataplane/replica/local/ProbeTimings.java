package io.sluice.dataplane.replica.local;

import java.time.Duration;

/**
 * How a replica is watched.
 *
 * @param startupInterval readiness probe interval until the replica is first ready: short, so that a ready replica
 *     is noticed within tens of milliseconds
 * @param period readiness and liveness probe interval once the replica has been ready
 * @param timeout how long one probe may take
 * @param livenessFailures consecutive failed liveness probes that get a replica restarted
 * @param startupTimeout how long a replica may take to become ready before it is restarted
 * @param maxFailedStarts starts in a row that die or time out before ever being ready, after which the replica is
 *     reported {@code FAILED}
 * @param backoff delays between restarts
 */
public record ProbeTimings(
    Duration startupInterval,
    Duration period,
    Duration timeout,
    int livenessFailures,
    Duration startupTimeout,
    int maxFailedStarts,
    RestartBackoff backoff) {

  public static ProbeTimings defaults() {
    return new ProbeTimings(
        Duration.ofMillis(10), Duration.ofSeconds(1), Duration.ofSeconds(1), 3, Duration.ofMinutes(15), 3,
        RestartBackoff.defaults());
  }

  public ProbeTimings {
    if (livenessFailures < 1) {
      throw new IllegalArgumentException("livenessFailures: " + livenessFailures + " (expected: >= 1)");
    }
    if (maxFailedStarts < 1) {
      throw new IllegalArgumentException("maxFailedStarts: " + maxFailedStarts + " (expected: >= 1)");
    }
  }
}

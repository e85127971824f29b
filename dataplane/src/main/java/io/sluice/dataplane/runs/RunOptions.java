package io.sluice.dataplane.runs;

import java.time.Duration;

/**
 * How a node takes and runs asynchronous runs.
 *
 * @param maxBodyBytes the largest request body a run may have (it is stored in the fleet); larger gets 413
 * @param maxResultBytes the largest answer a run keeps; a larger one fails the run
 * @param retention how long a finished run, its result and its bodies are kept
 * @param lease how long a node holds a run it works on without renewing; a node that dies is replaced after it
 * @param pollInterval how often a node looks for runs to take up
 * @param maxRunning runs one node works on at once
 * @param maxAttempts how often a run is tried when Sluice could not get it to a replica (queue full, no replica)
 * @param webhookAttempts how often a webhook is tried before it is given up on
 */
public record RunOptions(
    long maxBodyBytes,
    long maxResultBytes,
    Duration retention,
    Duration lease,
    Duration pollInterval,
    int maxRunning,
    int maxAttempts,
    int webhookAttempts) {

  public RunOptions {
    require(maxBodyBytes >= 0, "maxBodyBytes", maxBodyBytes, ">= 0");
    require(maxResultBytes >= 0, "maxResultBytes", maxResultBytes, ">= 0");
    require(retention.toMillis() >= 1000, "retention", retention, ">= 1 s");
    require(lease.toMillis() >= 300, "lease", lease, ">= 300 ms");
    require(pollInterval.toMillis() >= 10, "pollInterval", pollInterval, ">= 10 ms");
    require(maxRunning >= 1, "maxRunning", maxRunning, ">= 1");
    require(maxAttempts >= 1, "maxAttempts", maxAttempts, ">= 1");
    require(webhookAttempts >= 1, "webhookAttempts", webhookAttempts, ">= 1");
  }

  public static RunOptions defaults() {
    return new RunOptions(16L << 20, 16L << 20, Duration.ofHours(24), Duration.ofSeconds(30),
        Duration.ofMillis(500), 64, 5, 6);
  }

  public RunOptions withLease(Duration value, Duration poll) {
    return new RunOptions(maxBodyBytes, maxResultBytes, retention, value, poll, maxRunning, maxAttempts,
        webhookAttempts);
  }

  private static void require(boolean ok, String key, Object value, String expected) {
    if (!ok) {
      throw new IllegalArgumentException(key + ": " + value + " (expected: " + expected + ")");
    }
  }
}

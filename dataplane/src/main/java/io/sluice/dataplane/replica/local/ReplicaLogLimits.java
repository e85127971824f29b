package io.sluice.dataplane.replica.local;

/**
 * How much of replicas' output a node keeps on disk.
 *
 * <p>Each replica's log is {@code replica.log} plus up to {@code files - 1} older ones ({@code replica.log.1}, ...):
 * when a line would take the current file over {@code maxFileBytes}, the files shift and a new one begins, so a
 * replica never has more than {@code files * maxFileBytes} of log. Of an app's replicas that are gone (stopped, or
 * failed), the folders of the last {@code goneReplicasKept} stay, for their logs; older ones are deleted.
 */
public record ReplicaLogLimits(long maxFileBytes, int files, int goneReplicasKept) {

  public static final long MIN_FILE_BYTES = 64 * 1024;

  public static ReplicaLogLimits defaults() {
    return new ReplicaLogLimits(10L * 1024 * 1024, 3, 10);
  }

  public ReplicaLogLimits {
    if (maxFileBytes < MIN_FILE_BYTES) {
      throw new IllegalArgumentException("maxFileBytes: " + maxFileBytes + " (expected: >= " + MIN_FILE_BYTES + ")");
    }
    if (files < 1 || files > 100) {
      throw new IllegalArgumentException("files: " + files + " (expected: 1..100)");
    }
    if (goneReplicasKept < 0) {
      throw new IllegalArgumentException("goneReplicasKept: " + goneReplicasKept + " (expected: >= 0)");
    }
  }

  /** The most one replica's log takes on disk. */
  public long maxBytesPerReplica() {
    return maxFileBytes * files;
  }
}

package io.sluice.dataplane.replica.local;

import java.util.List;

/**
 * Signals a process and everything it started. A shell that runs the user's command may fork it instead of exec'ing
 * it, so signalling the direct child alone would leave the server running.
 */
final class ProcessTree {

  private ProcessTree() {}

  /** Blocking (reads /proc): call off the event loop. */
  static void terminate(ProcessHandle root, boolean force) {
    List<ProcessHandle> all = root.descendants().toList();
    signal(root, force);
    for (ProcessHandle child : all) {
      signal(child, force);
    }
  }

  private static void signal(ProcessHandle process, boolean force) {
    if (process.isAlive()) {
      if (force) {
        process.destroyForcibly();
      } else {
        process.destroy();
      }
    }
  }
}

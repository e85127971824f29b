package io.sluice.dataplane.replica.local;

import java.util.Locale;

/** Where a line of a replica's log came from. */
public enum LogStream {
  /** The process's standard output. */
  STDOUT,
  /** The process's standard error. */
  STDERR,
  /** The node's own note about the replica: each start with its command, exits, restarts and why. */
  SLUICE,
  /** A line written before lines were stamped, when stdout and stderr shared one unstamped file. */
  OUTPUT;

  /** The word on disk and in events: {@code stdout}, {@code stderr}, {@code sluice}, {@code output}. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  static LogStream ofLabel(String label) {
    for (LogStream stream : values()) {
      if (stream.label().equals(label)) {
        return stream;
      }
    }
    return null;
  }
}

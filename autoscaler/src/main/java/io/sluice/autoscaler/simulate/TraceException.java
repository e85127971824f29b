package io.sluice.autoscaler.simulate;

import java.io.IOException;
import java.nio.file.Path;

/** A trace file that cannot be replayed, naming the file, the line and what is wrong with it. */
public final class TraceException extends IOException {

  private static final long serialVersionUID = 1L;

  public TraceException(String message) {
    super(message);
  }

  /** {@code file:line: what (expected: ...)}. */
  static TraceException at(Path file, long line, String what, String expected) {
    return new TraceException(file + ":" + line + ": " + what + " (expected: " + expected + ")");
  }
}

package io.sluice.autoscaler.capacity;

import java.util.Objects;

/**
 * One node of a pool. The serial is never reused within a {@link CapacityModel}, so a released node's id is not
 * given to a later node.
 */
public record NodeId(String pool, long serial) {

  public NodeId {
    Objects.requireNonNull(pool, "pool");
    if (serial < 1) {
      throw new IllegalArgumentException("serial: " + serial + " (expected: >= 1)");
    }
  }

  /** {@code l4-3}. */
  @Override
  public String toString() {
    return pool + "-" + serial;
  }
}

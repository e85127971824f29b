package io.sluice.dataplane.routing;

/**
 * Picks the replica with the fewest requests in flight. Ties go round the list from a moving start, so that equal
 * replicas share the load instead of the first one taking it all.
 */
final class ReplicaPicker {

  private int nextStart;

  /** Returns null when there is no replica. Not thread-safe for the start offset, which only spreads ties. */
  RoutedReplica pick(RoutedReplica[] replicas) {
    int n = replicas.length;
    if (n == 0) {
      return null;
    }
    if (n == 1) {
      return replicas[0];
    }
    int start = Math.floorMod(nextStart++, n);
    RoutedReplica best = null;
    int bestLoad = Integer.MAX_VALUE;
    for (int i = 0; i < n; i++) {
      RoutedReplica candidate = replicas[(start + i) % n];
      int load = candidate.inFlight();
      if (load < bestLoad) {
        best = candidate;
        bestLoad = load;
      }
    }
    return best;
  }
}

package io.sluice.dataplane.routing;

/**
 * Picks the replica with the fewest requests in flight among those under this node's part of the hard limit, passing
 * over any that refused a connection lately. Ties go round the list from a moving start, so that equal replicas share
 * the load instead of the first one taking it all.
 */
final class ReplicaPicker {

  private int nextStart;

  /** Returns null when no replica has room. The start offset is racy across threads; it only spreads ties. */
  RoutedReplica pick(RoutedReplica[] replicas, int limit) {
    int n = replicas.length;
    if (n == 0) {
      return null;
    }
    int start = n == 1 ? 0 : Math.floorMod(nextStart++, n);
    RoutedReplica best = null;
    int bestLoad = Integer.MAX_VALUE;
    for (int i = 0; i < n; i++) {
      RoutedReplica candidate = replicas[(start + i) % n];
      int load = candidate.inFlight();
      if (load < bestLoad && load < candidate.limit(limit) && !candidate.unreachable()) {
        best = candidate;
        bestLoad = load;
      }
    }
    return best;
  }
}

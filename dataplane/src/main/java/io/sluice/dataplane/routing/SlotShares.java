package io.sluice.dataplane.routing;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * How the fleet's nodes split each replica's hard limit, so that a replica never gets more requests at once than its
 * app allows however many nodes send to it (Knative's activators split pods' capacity the same way). Every node
 * computes the same split from the same inputs — the members in the fleet's order, each one's demand as last
 * published, the ready replicas — and takes its own part: no coordination per request.
 *
 * <p>The app's slots (hard limit × ready replicas) go one to each member, then the rest in proportion to their
 * demand, so that the node with the load has the slots and an idle node still has one for its next request. Each member's slots are
 * a run of consecutive slot numbers, slot {@code s} being on replica {@code s mod R}, so a member's slots are spread
 * over the replicas and least-outstanding picking keeps working. With fewer slots than members, a member that would
 * get none gets one (on a replica chosen by its position), as Knative's activators get at least one: a node with no
 * slot would hold every request it takes. That is the one case where a replica can get more than its limit.
 */
public final class SlotShares {

  private SlotShares() {}

  /**
   * This node's limit on each replica.
   *
   * @param members the fleet's members in the order every node sees them
   * @param demand each member's requests in flight and held for the app; members not in it have none
   * @param replicas the app's ready replicas, by name, in the same order on every node
   * @return per replica name, how many requests {@code self} may have in flight on it
   */
  public static Map<String, Integer> of(int hardLimit, List<String> members, String self, Map<String, Integer> demand,
      List<String> replicas) {
    int r = replicas.size();
    Map<String, Integer> shares = new HashMap<>();
    int me = members.indexOf(self);
    if (r == 0 || me < 0) {
      return shares;
    }
    int n = members.size();
    long slots = (long) hardLimit * r;
    // One slot each first, when there are enough, so that an idle node has one for its next request; the rest in
    // proportion to demand (evenly when there is none).
    long base = slots >= n ? 1 : 0;
    long rest = slots - base * n;
    long totalDemand = 0;
    for (String member : members) {
      totalDemand += demand.getOrDefault(member, 0);
    }
    // Largest remainder: every member's exact share rounded down, then the slots left over to the largest fractions
    // (ties to the earlier member), so that the parts always add up to the slots.
    long[] parts = new long[n];
    long[] remainders = new long[n];
    long given = 0;
    for (int i = 0; i < n; i++) {
      long weight = totalDemand == 0 ? 1 : demand.getOrDefault(members.get(i), 0);
      long exact = rest * weight;
      long total = totalDemand == 0 ? n : totalDemand;
      parts[i] = base + exact / total;
      remainders[i] = exact % total;
      given += parts[i];
    }
    for (long left = slots - given; left > 0; left--) {
      int best = 0;
      for (int i = 1; i < n; i++) {
        if (remainders[i] > remainders[best]) {
          best = i;
        }
      }
      parts[best]++;
      remainders[best] = -1;
    }
    for (String replica : replicas) {
      shares.put(replica, 0);
    }
    if (parts[me] == 0) {
      shares.put(replicas.get(me % r), 1);
      return shares;
    }
    long start = 0;
    for (int i = 0; i < me; i++) {
      start += parts[i];
    }
    for (long s = start; s < start + parts[me]; s++) {
      shares.merge(replicas.get((int) (s % r)), 1, Integer::sum);
    }
    return shares;
  }

}

package io.sluice.dataplane.routing;

import io.sluice.autoscaler.replica.ReplicaId;
import io.sluice.config.AppSpec;
import io.sluice.config.ConfigFormat;
import java.util.ArrayList;
import java.util.List;

/**
 * What a node needs to route one app's requests: its spec and its ready replicas.
 *
 * <p>The replica list is an immutable array replaced on every change, so the many event loops that read it per
 * request never lock; changes (a replica became ready or stopped being so) are rare and serialized here.
 */
public final class AppRoute {

  private static final RoutedReplica[] NONE = new RoutedReplica[0];

  private final AppSpec spec;
  private final boolean truss;
  private final long timeoutMillis;
  private final ReplicaPicker picker = new ReplicaPicker();
  private volatile RoutedReplica[] ready = NONE;

  public AppRoute(AppSpec spec) {
    this.spec = spec;
    this.truss = spec.format() == ConfigFormat.TRUSS_YAML;
    this.timeoutMillis = spec.requestTimeout().toMillis();
  }

  public AppSpec spec() {
    return spec;
  }

  boolean truss() {
    return truss;
  }

  public long timeoutMillis() {
    return timeoutMillis;
  }

  /** The ready replica with the fewest requests in flight, or null when none is ready. */
  public RoutedReplica pick() {
    return picker.pick(ready);
  }

  public List<RoutedReplica> readyReplicas() {
    return List.of(ready);
  }

  public synchronized void markReady(RoutedReplica replica) {
    List<RoutedReplica> next = new ArrayList<>(List.of(ready));
    next.removeIf(r -> r.id().equals(replica.id()));
    next.add(replica);
    ready = next.toArray(NONE);
  }

  public synchronized void markNotReady(ReplicaId id) {
    List<RoutedReplica> next = new ArrayList<>(List.of(ready));
    if (next.removeIf(r -> r.id().equals(id))) {
      ready = next.toArray(NONE);
    }
  }

  /** Requests this node has in flight on the app's ready replicas. */
  public int inFlight() {
    int sum = 0;
    for (RoutedReplica replica : ready) {
      sum += replica.inFlight();
    }
    return sum;
  }
}

package io.sluice.autoscaler.capacity;

import io.sluice.config.AppId;
import java.util.List;
import java.util.Objects;

/**
 * What placement decided on one tick, for the runner to carry out, and the model to keep for the next tick.
 *
 * @param next the capacity after this tick: {@code starts} placed, {@code stops} gone, {@code provisions} added,
 *     {@code releases} removed
 * @param starts new replicas to start now, each on a ready node, named by the model ({@code <app name>-<serial>})
 * @param stops replicas to stop: their apps scaled down or are no longer deployed
 * @param pending replicas wanted but not placed, per app and reason, apps in deploy order
 * @param provisions nodes to ask the pools for now, each with the instant it is expected to be ready
 * @param releases empty nodes to give back: idle for their pool's {@code idle_node_seconds}, above {@code min_nodes}
 */
public record PlacementPlan(
    CapacityModel next,
    List<PlacedReplica> starts,
    List<PlacedReplica> stops,
    List<Pending> pending,
    List<Node> provisions,
    List<Node> releases) {

  public PlacementPlan {
    Objects.requireNonNull(next, "next");
    starts = List.copyOf(Objects.requireNonNull(starts, "starts"));
    stops = List.copyOf(Objects.requireNonNull(stops, "stops"));
    pending = List.copyOf(Objects.requireNonNull(pending, "pending"));
    provisions = List.copyOf(Objects.requireNonNull(provisions, "provisions"));
    releases = List.copyOf(Objects.requireNonNull(releases, "releases"));
  }

  public List<PlacedReplica> startsOf(AppId app) {
    return starts.stream().filter(placed -> placed.replica().app().equals(app)).toList();
  }

  public List<PlacedReplica> stopsOf(AppId app) {
    return stops.stream().filter(placed -> placed.replica().app().equals(app)).toList();
  }

  public List<Pending> pendingOf(AppId app) {
    return pending.stream().filter(entry -> entry.app().equals(app)).toList();
  }

  public int pendingCount(AppId app) {
    return pendingOf(app).stream().mapToInt(Pending::count).sum();
  }
}

package io.sluice.dataplane.apps;

import io.sluice.autoscaler.replica.ReplicaId;
import io.sluice.autoscaler.replica.ReplicaState;
import io.sluice.autoscaler.replica.ReplicaStatus;
import io.sluice.cluster.registry.FleetReplicaRegistry.Order;
import io.sluice.cluster.registry.FleetReplicaRegistry.Placed;
import io.sluice.config.AppSpec;
import io.sluice.config.LoadedApp;
import io.sluice.dataplane.routing.AppRoute;
import io.sluice.dataplane.routing.RoutedReplica;
import io.vertx.core.net.SocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * One deploy of an app as this node sees it: its config, its files, its replicas anywhere in the fleet (from the
 * registry) and how this node's router sees them.
 */
public final class DeployedApp {

  private final LoadedApp loaded;
  private final AppSpec spec;
  private final Path files;
  private final long generation;
  private final Instant deployedAt;
  private final AppRoute route;
  private final List<String> warnings;
  private final Map<ReplicaId, ReplicaStatus> replicas = new LinkedHashMap<>();
  private final Set<ReplicaId> draining = new HashSet<>();
  private final Map<ReplicaId, Instant> startedAt = new HashMap<>();
  private final Map<ReplicaId, String> nodes = new HashMap<>();
  private Duration lastStartup;
  private boolean everReady;
  private String lastFailure;

  DeployedApp(LoadedApp loaded, AppSpec spec, Path files, long generation, Instant deployedAt, List<String> warnings,
      AppRoute route) {
    this.loaded = loaded;
    this.spec = spec;
    this.files = files;
    this.generation = generation;
    this.deployedAt = deployedAt;
    this.route = route;
    this.warnings = List.copyOf(warnings);
  }

  /** Things the user should fix that do not stop the deploy (a declared secret without a value). */
  public List<String> warnings() {
    return warnings;
  }

  public AppSpec spec() {
    return spec;
  }

  public LoadedApp loaded() {
    return loaded;
  }

  public Path files() {
    return files;
  }

  public long generation() {
    return generation;
  }

  public Instant deployedAt() {
    return deployedAt;
  }

  public AppRoute route() {
    return route;
  }

  /** The fleet member running a replica of this deploy, as the registry said last. */
  public synchronized Optional<String> nodeOf(ReplicaId id) {
    return Optional.ofNullable(nodes.get(id));
  }

  /** How long the app's latest replica took from being asked for to being ready: the autoscaler's lead time. */
  public synchronized Optional<Duration> lastStartup() {
    return Optional.ofNullable(lastStartup);
  }

  /**
   * Applies what the fleet's registry says of a replica of this deploy, wherever it runs, to the app's state and to
   * this node's routing.
   */
  synchronized void apply(Placed placed) {
    ReplicaStatus status = placed.status();
    ReplicaId id = status.id();
    if (!replicas.containsKey(id)) {
      if (status.state().terminal()) {
        return;
      }
      startedAt.put(id, status.since());
    }
    nodes.put(id, placed.node());
    if (placed.order() == Order.STOP) {
      draining.add(id);
    }
    if (status.state() == ReplicaState.READY && status.endpoint().isPresent()) {
      everReady = true;
      Instant asked = startedAt.remove(id);
      if (asked != null) {
        lastStartup = Duration.between(asked, status.since());
      }
      if (!draining.contains(id)) {
        var endpoint = status.endpoint().get();
        route.markReady(id, SocketAddress.inetSocketAddress(endpoint.port(), endpoint.host()));
      } else {
        route.markNotReady(id);
      }
    } else {
      route.markNotReady(id);
    }
    if (status.state() == ReplicaState.FAILED || status.state() == ReplicaState.RESTARTING) {
      lastFailure = status.detail();
    }
    if (status.state().terminal() && status.state() != ReplicaState.FAILED) {
      replicas.remove(id);
      draining.remove(id);
      startedAt.remove(id);
      nodes.remove(id);
    } else {
      replicas.put(id, status);
    }
    route.failed(stateNow() == AppState.FAILED);
  }

  /** The replica as this node routes to it (to watch its requests in flight), if it is routed now. */
  public Optional<RoutedReplica> routed(ReplicaId id) {
    return route.readyReplicas().stream().filter(r -> r.id().equals(id)).findFirst();
  }

  public synchronized int drainingCount() {
    return draining.size();
  }

  /** The names of the replicas ordered to stop that are not gone yet. */
  public synchronized java.util.Set<String> drainingNames() {
    java.util.Set<String> names = new java.util.TreeSet<>();
    draining.forEach(id -> names.add(id.name()));
    return names;
  }

  /** Whether the replica still occupies capacity: known, and neither failed for good nor stopped. */
  public synchronized boolean holdsCapacity(ReplicaId id) {
    ReplicaStatus status = replicas.get(id);
    return status != null && !status.state().terminal();
  }

  /** Replicas that count for scaling: not being drained, not gone. */
  public synchronized List<ReplicaStatus> liveReplicas() {
    List<ReplicaStatus> live = new ArrayList<>();
    for (ReplicaStatus status : replicas.values()) {
      if (!draining.contains(status.id()) && !status.state().terminal()
          && status.state() != ReplicaState.STOPPING) {
        live.add(status);
      }
    }
    return live;
  }

  public synchronized List<ReplicaStatus> replicas() {
    return new ArrayList<>(replicas.values());
  }

  public synchronized AppState state() {
    return stateNow();
  }

  private AppState stateNow() {
    boolean anyReady = false;
    boolean allFailed = !replicas.isEmpty();
    for (ReplicaStatus status : replicas.values()) {
      anyReady |= status.state() == ReplicaState.READY;
      allFailed &= status.state() == ReplicaState.FAILED;
    }
    if (anyReady) {
      return AppState.READY;
    }
    if (allFailed) {
      return AppState.FAILED;
    }
    return everReady ? AppState.UNAVAILABLE : AppState.DEPLOYING;
  }

  /** Why the app is not serving, in words, or null. */
  public synchronized String lastFailure() {
    return lastFailure;
  }
}

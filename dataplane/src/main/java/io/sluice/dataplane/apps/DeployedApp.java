package io.sluice.dataplane.apps;

import io.sluice.autoscaler.replica.ReplicaId;
import io.sluice.autoscaler.replica.ReplicaState;
import io.sluice.autoscaler.replica.ReplicaStatus;
import io.sluice.config.AppSpec;
import io.sluice.config.LoadedApp;
import io.sluice.dataplane.routing.AppRoute;
import io.sluice.dataplane.routing.RoutedReplica;
import io.vertx.core.net.SocketAddress;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One deploy of an app on this node: its config, its files, its replicas and how the router sees them. */
public final class DeployedApp {

  private final LoadedApp loaded;
  private final AppSpec spec;
  private final Path files;
  private final long generation;
  private final Instant deployedAt;
  private final AppRoute route;
  private final List<String> warnings;
  private final Map<ReplicaId, ReplicaStatus> replicas = new LinkedHashMap<>();
  private boolean everReady;
  private String lastFailure;

  DeployedApp(
      LoadedApp loaded, AppSpec spec, Path files, long generation, Instant deployedAt, List<String> warnings) {
    this.loaded = loaded;
    this.spec = spec;
    this.files = files;
    this.generation = generation;
    this.deployedAt = deployedAt;
    this.route = new AppRoute(spec);
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

  synchronized boolean owns(ReplicaId id) {
    return replicas.containsKey(id);
  }

  synchronized void expect(ReplicaId id, ReplicaStatus initial) {
    replicas.put(id, initial);
  }

  /** Applies a replica's new status to the app's state and to the router's view. */
  synchronized void apply(ReplicaStatus status) {
    ReplicaId id = status.id();
    if (!replicas.containsKey(id)) {
      return;
    }
    if (status.state() == ReplicaState.READY && status.endpoint().isPresent()) {
      everReady = true;
      var endpoint = status.endpoint().get();
      route.markReady(new RoutedReplica(id, SocketAddress.inetSocketAddress(endpoint.port(), endpoint.host())));
    } else {
      route.markNotReady(id);
    }
    if (status.state() == ReplicaState.FAILED || status.state() == ReplicaState.RESTARTING) {
      lastFailure = status.detail();
    }
    if (status.state() == ReplicaState.STOPPED) {
      replicas.remove(id);
    } else {
      replicas.put(id, status);
    }
  }

  public synchronized List<ReplicaStatus> replicas() {
    return new ArrayList<>(replicas.values());
  }

  public synchronized AppState state() {
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

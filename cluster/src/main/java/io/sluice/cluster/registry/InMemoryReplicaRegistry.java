package io.sluice.cluster.registry;

import io.sluice.autoscaler.replica.ReplicaId;
import io.sluice.autoscaler.replica.ReplicaStatus;
import io.sluice.config.AppId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** The registry of a node that is alone: a map in memory. */
public final class InMemoryReplicaRegistry implements ReplicaRegistry {

  private final Map<AppId, Map<ReplicaId, ReplicaStatus>> byApp = new ConcurrentHashMap<>();
  private final List<Consumer<ReplicaStatus>> listeners = new CopyOnWriteArrayList<>();

  @Override
  public void update(ReplicaStatus status) {
    Map<ReplicaId, ReplicaStatus> replicas = byApp.computeIfAbsent(status.id().app(), app -> new LinkedHashMap<>());
    synchronized (replicas) {
      if (status.state().terminal()) {
        replicas.remove(status.id());
      } else {
        replicas.put(status.id(), status);
      }
    }
    for (Consumer<ReplicaStatus> listener : listeners) {
      listener.accept(status);
    }
  }

  @Override
  public List<ReplicaStatus> replicas(AppId app) {
    Map<ReplicaId, ReplicaStatus> replicas = byApp.get(app);
    if (replicas == null) {
      return List.of();
    }
    synchronized (replicas) {
      return new ArrayList<>(replicas.values());
    }
  }

  @Override
  public void subscribe(Consumer<ReplicaStatus> listener) {
    listeners.add(listener);
  }
}

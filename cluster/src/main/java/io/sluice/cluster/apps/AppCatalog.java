package io.sluice.cluster.apps;

import com.hazelcast.core.HazelcastInstance;
import io.sluice.cluster.state.FleetBlobs;
import io.sluice.cluster.state.FleetMap;
import io.sluice.config.AppId;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * The apps deployed in the fleet: which app runs which archive, since when. Deploying or removing an app on any node
 * reaches every node; every node keeps the catalogue and the archives it used under {@code <state>/fleet/}, so that the
 * fleet's apps survive the loss of a node (the Hazelcast backups) and a restart of the whole fleet (the nodes' disks).
 */
public final class AppCatalog {

  /**
   * One app's latest deploy, or its removal.
   *
   * @param generation the deploy's version: later deploys have higher ones, in the whole fleet
   * @param archive the SHA-256 of the app's archive; empty when the app was removed
   */
  public record AppRecord(AppId id, long generation, Optional<String> archive, Instant deployedAt) {

    public boolean removed() {
      return archive.isEmpty();
    }

    static AppRecord of(FleetMap.Entry entry) {
      String[] key = entry.key().split("/", 2);
      AppId id = new AppId(key[0], key[1]);
      if (entry.removed()) {
        return new AppRecord(id, entry.version(), Optional.empty(), Instant.ofEpochMilli(entry.version()));
      }
      JsonObject value = new JsonObject(entry.value().get());
      return new AppRecord(id, entry.version(), Optional.of(value.getString("archive")),
          Instant.parse(value.getString("deployed_at")));
    }
  }

  private final FleetMap records;
  private final FleetBlobs archives;
  private final InstantSource clock;

  public AppCatalog(HazelcastInstance hazelcast, Path stateDir, InstantSource clock, Executor blocking) {
    Path fleetDir = stateDir.resolve("fleet");
    this.records = new FleetMap(hazelcast, "sluice.apps", fleetDir.resolve("apps"), clock);
    this.archives = new FleetBlobs(hazelcast, "sluice.app-archives", fleetDir.resolve("archives"), blocking);
    this.clock = clock;
  }

  /** Hears of deploys and removals made on other nodes, and at start of every app the fleet has or had. */
  public void subscribe(Consumer<AppRecord> listener) {
    records.subscribe(entry -> listener.accept(AppRecord.of(entry)));
  }

  /** Merges this node's catalogue with the fleet's, and gives the fleet any archive only this node still has. */
  public CompletableFuture<Void> start() {
    return records.start().thenCompose(started -> {
      List<CompletableFuture<Void>> republished = new ArrayList<>();
      for (AppRecord app : apps()) {
        republished.add(archives.republish(app.archive().get()));
      }
      return CompletableFuture.allOf(republished.toArray(CompletableFuture[]::new));
    });
  }

  public void close() {
    records.close();
  }

  /** Deploys an archive as the app's newest version, for the whole fleet. */
  public CompletableFuture<AppRecord> publish(AppId id, byte[] archive) {
    Optional<String> superseded = record(id).flatMap(AppRecord::archive);
    return archives.put(archive).thenCompose(digest -> records.put(id.key(), new JsonObject()
            .put("archive", digest).put("deployed_at", clock.instant().toString()).encode())
        .thenApply(AppRecord::of)
        .thenCompose(written -> forgetUnlessUsed(superseded, digest).thenApply(done -> written)));
  }

  /** Removes the app from the whole fleet. */
  public CompletableFuture<AppRecord> remove(AppId id) {
    Optional<String> superseded = record(id).flatMap(AppRecord::archive);
    return records.remove(id.key()).thenApply(AppRecord::of)
        .thenCompose(written -> forgetUnlessUsed(superseded, "").thenApply(done -> written));
  }

  private CompletableFuture<Void> forgetUnlessUsed(Optional<String> digest, String current) {
    if (digest.isEmpty() || digest.get().equals(current)
        || apps().stream().anyMatch(app -> app.archive().equals(digest))) {
      return CompletableFuture.completedFuture(null);
    }
    return archives.forget(digest.get());
  }

  /** The app's latest record as this node knows it, removed or not; never a round trip. */
  public Optional<AppRecord> record(AppId id) {
    return records.entry(id.key()).map(AppRecord::of);
  }

  /** The deployed (not removed) apps, as this node knows them. */
  public List<AppRecord> apps() {
    return records.values().keySet().stream()
        .map(key -> records.entry(key).map(AppRecord::of).orElseThrow())
        .toList();
  }

  /** The app's archive on this node's disk, fetched from the fleet if this node lacks it. */
  public CompletableFuture<Path> archive(AppRecord app) {
    return archives.fetch(app.archive().orElseThrow(() -> new IllegalArgumentException(app.id() + " was removed")));
  }
}

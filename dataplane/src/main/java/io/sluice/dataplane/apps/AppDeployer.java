package io.sluice.dataplane.apps;

import io.sluice.autoscaler.replica.Endpoint;
import io.sluice.autoscaler.replica.ReplicaId;
import io.sluice.autoscaler.replica.ReplicaProvider;
import io.sluice.autoscaler.replica.ReplicaState;
import io.sluice.autoscaler.replica.ReplicaStatus;
import io.sluice.cluster.apps.AppCatalog;
import io.sluice.cluster.apps.AppCatalog.AppRecord;
import io.sluice.cluster.registry.FleetReplicaRegistry;
import io.sluice.cluster.registry.FleetReplicaRegistry.Order;
import io.sluice.cluster.registry.FleetReplicaRegistry.Placed;
import io.sluice.cluster.state.FleetBlobs;
import io.sluice.config.AppConfigReader;
import io.sluice.config.AppId;
import io.sluice.config.AppSpec;
import io.sluice.config.ConfigFormat;
import io.sluice.config.LoadedApp;
import io.sluice.dataplane.routing.AppDirectory;
import io.sluice.dataplane.routing.AppRoute;
import io.sluice.dataplane.routing.RoutedReplica;
import io.sluice.dataplane.secrets.SecretStore;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deploys and undeploys apps on this node: reads the user's config, keeps the app's files, starts its replicas through
 * the provider, and keeps the app's state and the router's view current as replicas come and go.
 *
 * <p>A redeploy puts the new version in the router at once and stops the old replicas; requests wait in the hold
 * queue until a replica of the new version is ready. How many replicas an app runs is {@link AppScaling}'s call.
 */
public final class AppDeployer {

  private static final Logger log = LoggerFactory.getLogger(AppDeployer.class);

  private final Vertx vertx;
  private final AppDirectory directory;
  private final AppFiles files;
  private final SecretStore secrets;
  private final InstantSource clock;
  private final Duration stopGrace;
  private final Function<AppSpec, AppRoute> routes;
  private final Map<AppId, DeployedApp> apps = new ConcurrentHashMap<>();
  private final AppCatalog catalog;
  private final java.util.Queue<Future<DeployedApp>> following = new java.util.concurrent.ConcurrentLinkedQueue<>();
  private volatile ReplicaProvider provider;
  private volatile FleetReplicaRegistry registry;
  private volatile Predicate<ReplicaId> idleElsewhere = id -> true;
  /** The replicas this node's provider runs, with the app version each runs. */
  private final Map<ReplicaId, Long> runningHere = new ConcurrentHashMap<>();
  private final java.util.Set<ReplicaId> stoppingHere = ConcurrentHashMap.newKeySet();
  private volatile AppScaling scaling = AppScaling.NONE;
  private volatile EndpointWatch endpointWatch;
  /** The observe-only apps this node watches, and the endpoints each was last seen with. */
  private final Map<AppId, Observed> observed = new ConcurrentHashMap<>();

  /** @param routes makes the router's view of a newly deployed app (its meters, hold queue and limits) */
  public AppDeployer(
      Vertx vertx, AppDirectory directory, AppFiles files, SecretStore secrets, InstantSource clock,
      Duration stopGrace, Function<AppSpec, AppRoute> routes, AppCatalog catalog) {
    this.vertx = vertx;
    this.directory = directory;
    this.files = files;
    this.secrets = secrets;
    this.clock = clock;
    this.stopGrace = stopGrace;
    this.routes = routes;
    this.catalog = catalog;
    catalog.subscribe(this::follow);
  }

  public void useProvider(ReplicaProvider provider) {
    this.provider = provider;
  }

  /**
   * Where this node finds the pods of observe-only apps (an existing Service's ready endpoints); set before the first
   * deploy, on a cluster only.
   */
  public void useEndpointWatch(EndpointWatch watch) {
    this.endpointWatch = watch;
  }

  /** Whether replicas outlive this node and are managed from any node (a cluster's pods). */
  public boolean replicasSharedByTheFleet() {
    ReplicaProvider current = provider;
    return current != null && current.sharedByTheFleet();
  }

  /**
   * The fleet's replica registry, and how to tell that no other node has requests in flight on a replica; set before
   * the first deploy.
   */
  public void useRegistry(FleetReplicaRegistry registry, Predicate<ReplicaId> idleElsewhere) {
    this.registry = registry;
    this.idleElsewhere = idleElsewhere;
  }

  /** Who decides each app's replica count; set before the first deploy. */
  public void useScaling(AppScaling scaling) {
    this.scaling = scaling;
  }

  /**
   * Deploys the app in a folder on this machine, for the whole fleet; its files are copied, so the folder may change
   * afterwards.
   */
  public Future<DeployedApp> deployFolder(Path folder, Optional<String> project, Optional<String> name) {
    return prepare(prepared -> AppFiles.copyFolder(folder, prepared), folder, project, name, AppFiles::zip)
        .compose(this::publish);
  }

  /**
   * Deploys the app in a folder unless the fleet already runs these very files under the app's name: what a node does
   * with its {@code --apps} folder at start, so that restarting a node does not redeploy the fleet's apps.
   */
  public Future<Optional<DeployedApp>> deployFolderIfChanged(Path folder) {
    return prepare(prepared -> AppFiles.copyFolder(folder, prepared), folder, Optional.empty(), Optional.empty(),
        AppFiles::zip)
        .compose(prepared -> {
          Optional<AppRecord> known = catalog.record(prepared.id());
          DeployedApp running = apps.get(prepared.id());
          if (known.isPresent() && known.get().archive().equals(Optional.of(FleetBlobs.sha256(prepared.archive())))
              && running != null) {
            return vertx.executeBlocking(() -> {
              AppFiles.deleteQuietly(prepared.folder());
              return Optional.<DeployedApp>empty();
            }, false);
          }
          return publish(prepared).map(Optional::of);
        });
  }

  /** Deploys the app in a zip archive (what {@code sluice deploy} uploads), for the whole fleet. */
  public Future<DeployedApp> deployArchive(
      Path archive, String fallbackName, Optional<String> project, Optional<String> name) {
    return prepare(prepared -> {
      try (InputStream in = Files.newInputStream(archive)) {
        AppFiles.unzip(in, prepared);
      }
    }, Path.of(fallbackName), project, name, prepared -> Files.readAllBytes(archive)).compose(this::publish);
  }

  /** Unpacks or copies an app into a fresh folder and reads its config, which must be valid before anything else. */
  private Future<Prepared> prepare(FolderFiller fill, Path shownAs, Optional<String> project, Optional<String> name,
      ArchiveSource archive) {
    return vertx.executeBlocking(() -> {
      Path prepared = files.newUploadFolder();
      try {
        fill.fill(prepared);
        LoadedApp loaded = AppConfigReader.read(prepared, shownAs);
        AppId id = new AppId(
            project.orElse(loaded.spec().id().project()), name.orElse(loaded.spec().id().name()));
        return new Prepared(id, prepared, shownAs, archive.bytesOf(prepared));
      } catch (Exception e) {
        AppFiles.deleteQuietly(prepared);
        throw e;
      }
    }, false);
  }

  /** Makes the prepared app the fleet's newest version of it, then runs it here. */
  private Future<DeployedApp> publish(Prepared prepared) {
    return Future.fromCompletionStage(catalog.publish(prepared.id(), prepared.archive()))
        .recover(failure -> vertx.executeBlocking(() -> {
          AppFiles.deleteQuietly(prepared.folder());
          return null;
        }, false).transform(deleted -> Future.failedFuture(failure)))
        .compose(record -> vertx.executeBlocking(
            () -> install(prepared.folder(), prepared.shownAs(), record), false))
        .map(this::activate);
  }

  /**
   * A deploy or removal made on another node, or found at start: this node follows it unless it already runs the
   * same or a newer version.
   */
  private void follow(AppRecord record) {
    DeployedApp running = apps.get(record.id());
    if (running != null && running.generation() >= record.generation()) {
      return;
    }
    if (record.removed()) {
      if (running != null) {
        removeHere(record.id(), running);
      }
      return;
    }
    Future<DeployedApp> followed = Future.fromCompletionStage(catalog.archive(record))
        .compose(archive -> vertx.executeBlocking(() -> installArchive(archive, record), false))
        .map(this::activate)
        .onFailure(e -> log.error("Could not deploy {} (version {}) here: {}", record.id(), record.generation(),
            e.getMessage()));
    following.add(followed);
    followed.onComplete(done -> following.remove(followed));
  }

  /**
   * Completes once this node runs every app the fleet had when it started (or has given up on one it could not
   * install, which it logged): a node answers for the fleet's apps from its first request.
   */
  public Future<Void> caughtUp() {
    return Future.join(List.copyOf(following)).<Void>mapEmpty().otherwiseEmpty();
  }

  /** Installs an archive as the given version of the app, reusing the files when this node installed it before. */
  private Installed installArchive(Path archive, AppRecord record) throws Exception {
    Optional<Path> existing = files.installed(record.id(), record.generation());
    if (existing.isPresent()) {
      return installed(existing.get(), Path.of(record.id().name()), record);
    }
    Path prepared = files.newUploadFolder();
    try (InputStream in = Files.newInputStream(archive)) {
      AppFiles.unzip(in, prepared);
      return install(prepared, Path.of(record.id().name()), record);
    } catch (Exception e) {
      AppFiles.deleteQuietly(prepared);
      throw e;
    }
  }

  /** Moves the prepared folder into place as the record's version and reads its config. */
  private Installed install(Path prepared, Path shownAs, AppRecord record) throws Exception {
    Path installed = files.install(record.id(), prepared, record.generation());
    return installed(installed, shownAs, record);
  }

  private Installed installed(Path folder, Path shownAs, AppRecord record) throws Exception {
    LoadedApp loaded = AppConfigReader.read(folder, shownAs);
    AppSpec spec = loaded.spec().withId(record.id());
    return new Installed(loaded, spec, folder, record.generation(), record.deployedAt(), missingSecrets(spec));
  }

  /** Puts an installed version in the router; a version older than the one running (a late arrival) is dropped. */
  private synchronized DeployedApp activate(Installed installed) {
    AppSpec spec = installed.spec();
    DeployedApp previous = apps.get(spec.id());
    if (previous != null && previous.generation() >= installed.generation()) {
      return previous;
    }
    DeployedApp app = new DeployedApp(installed.loaded(), spec, installed.files(), installed.generation(),
        installed.deployedAt(), installed.warnings(), routes.apply(spec));
    apps.put(spec.id(), app);
    directory.put(app.route());
    if (previous != null) {
      scaling.removed(previous);
      stopReplicas(previous);
    }
    log.info("deployed {} version {} from {}", spec.id(), installed.generation(), spec.format().fileName());
    registry.replicas(spec.id()).forEach(this::onReplica);
    scaling.added(app);
    if (spec.container().observeOnly()) {
      observe(app);
    }
    return app;
  }

  /**
   * An observe-only app's replicas are the ready pods of its Service, which every node watches for itself: they are
   * routed and counted like any replica, and nothing starts or stops them.
   */
  private void observe(DeployedApp app) {
    AppId id = app.spec().id();
    stopObserving(id);
    EndpointWatch watch = endpointWatch;
    String service = app.spec().container().observedService().orElseThrow();
    if (watch == null) {
      log.warn("{} observes Service {}, which needs a node on a cluster (bin/sluice up --replicas kubernetes): "
          + "its requests are held until they time out", id, service);
      return;
    }
    Observed watching = new Observed(app);
    observed.put(id, watching);
    vertx.executeBlocking(() -> watch.watch(service, app.spec().runtime().port(), watching::seen), false)
        .onSuccess(handle -> {
          if (!watching.open(handle)) {
            closeQuietly(handle);
          }
        })
        .onFailure(e -> log.error("Could not watch Service {} of {}: {}", service, id, e.getMessage()));
  }

  private void stopObserving(AppId id) {
    Observed gone = observed.remove(id);
    if (gone != null) {
      gone.close();
    }
  }

  private static void closeQuietly(AutoCloseable handle) {
    try {
      handle.close();
    } catch (Exception e) {
      log.debug("Closing a watch: {}", e.getMessage());
    }
  }

  /** How a node finds the ready endpoints of a Service (blocking until the first list is in). */
  @FunctionalInterface
  public interface EndpointWatch {
    AutoCloseable watch(String service, int port, Consumer<Map<String, Endpoint>> onChange)
        throws Exception;
  }

  /** One observe-only app's watch, and the endpoints it last reported. */
  private final class Observed {
    private final DeployedApp app;
    private Map<String, Endpoint> current = Map.of();
    private AutoCloseable handle;
    private boolean closed;

    Observed(DeployedApp app) {
      this.app = app;
    }

    synchronized boolean open(AutoCloseable opened) {
      handle = opened;
      return !closed;
    }

    synchronized void close() {
      closed = true;
      if (handle != null) {
        closeQuietly(handle);
      }
    }

    synchronized void seen(Map<String, Endpoint> ready) {
      if (closed) {
        return;
      }
      Instant now = clock.instant();
      ready.forEach((name, endpoint) -> {
        if (!endpoint.equals(current.get(name))) {
          apply(name, ReplicaState.READY, Optional.of(endpoint), "ready endpoint of the observed Service", now);
        }
      });
      current.forEach((name, endpoint) -> {
        if (!ready.containsKey(name)) {
          apply(name, ReplicaState.STOPPED, Optional.of(endpoint), "no longer a ready endpoint", now);
        }
      });
      current = Map.copyOf(ready);
    }

    private void apply(String name, ReplicaState state, Optional<Endpoint> endpoint, String detail, Instant now) {
      ReplicaId id = new ReplicaId(app.spec().id(), name);
      app.apply(new Placed(new ReplicaStatus(id, state, endpoint, 0, detail, now), registry.self(),
          app.generation(), Order.START));
    }
  }

  /** Asks a node of the fleet to start one more replica of the app, under the name placement gave it. */
  public void orderReplica(DeployedApp app, ReplicaId id, String node) {
    registry.orderStart(id, node, app.generation(), clock.instant());
  }

  /**
   * Every change of the fleet's registry: the app's view follows it, and this node carries out the orders given to
   * it — a start, or a stop once no node has requests in flight on the replica (up to the app's
   * {@code response_grace_period}), so that no request is cut by a scale-down.
   */
  public void onReplica(Placed placed) {
    ReplicaId id = placed.id();
    DeployedApp app = apps.get(id.app());
    boolean current = app != null && app.generation() == placed.generation();
    Optional<RoutedReplica> routed = current ? app.routed(id) : Optional.empty();
    if (current) {
      app.apply(placed);
    }
    if (!placed.node().equals(registry.self())) {
      return;
    }
    if (placed.order() == Order.START && current && placed.status().state() == ReplicaState.STARTING
        && runningHere.putIfAbsent(id, placed.generation()) == null) {
      provider.start(id, app.spec(), placed.generation());
    } else if (placed.order() == Order.STOP && runningHere.containsKey(id) && stoppingHere.add(id)) {
      long grace = app == null ? 0 : app.spec().scaling().responseGracePeriod().toNanos();
      awaitIdle(id, routed, System.nanoTime() + grace, () -> provider.stop(id, stopGrace));
    }
  }

  private void awaitIdle(ReplicaId id, Optional<RoutedReplica> routed, long deadlineNanos, Runnable then) {
    boolean idleHere = routed.isEmpty() || routed.get().inFlight() == 0;
    if ((idleHere && idleElsewhere.test(id)) || System.nanoTime() > deadlineNanos) {
      then.run();
    } else {
      vertx.setTimer(20, t -> awaitIdle(id, routed, deadlineNanos, then));
    }
  }

  /** The provider's statuses of the replicas this node runs, told to the whole fleet. */
  public void onLocalStatus(ReplicaStatus status) {
    Long generation = runningHere.get(status.id());
    if (generation == null) {
      return;
    }
    if (status.state().terminal()) {
      runningHere.remove(status.id());
      stoppingHere.remove(status.id());
    }
    registry.update(status, generation);
  }

  /**
   * Removes an app from the whole fleet: it stops being routed at once, then its replicas are stopped once the requests
   * and WebSockets they already have are done (up to the app's response grace period).
   */
  public Future<Void> undeploy(AppId id) {
    DeployedApp app = apps.get(id);
    if (app == null) {
      return Future.failedFuture(new IllegalArgumentException("no app " + id));
    }
    return Future.fromCompletionStage(catalog.remove(id)).compose(removed -> removeHere(id, app));
  }

  private synchronized Future<Void> removeHere(AppId id, DeployedApp app) {
    if (!apps.remove(id, app)) {
      return Future.succeededFuture();
    }
    directory.remove(id, app.route());
    scaling.removed(app);
    stopObserving(id);
    log.info("removed {}", id);
    return stopReplicas(app).compose(stopped -> Future.fromCompletionStage(provider.removeApp(id)));
  }

  /**
   * Stops the replicas of this deploy that run on this node, each once no node has requests in flight on it (an open
   * WebSocket is one), up to the app's {@code response_grace_period}, as a scale-down does; each node stops its own.
   */
  private Future<Void> stopReplicas(DeployedApp app) {
    long deadline = System.nanoTime() + app.spec().scaling().responseGracePeriod().toNanos();
    List<Future<Void>> stops = new ArrayList<>();
    runningHere.forEach((id, generation) -> {
      if (id.app().equals(app.spec().id()) && generation == app.generation()) {
        Promise<Void> stopped = Promise.promise();
        awaitIdle(id, app.routed(id), deadline,
            () -> Future.fromCompletionStage(provider.stop(id, stopGrace)).onComplete(stopped));
        stops.add(stopped.future());
      }
    });
    return Future.join(stops).mapEmpty();
  }

  public Optional<DeployedApp> app(AppId id) {
    return Optional.ofNullable(apps.get(id));
  }

  public Collection<DeployedApp> apps() {
    return apps.values();
  }

  /** The files of the app's current deploy, for the provider to copy into a replica's folder. */
  public Path filesOf(AppId id) {
    DeployedApp app = apps.get(id);
    if (app == null) {
      throw new IllegalStateException("no app " + id);
    }
    return app.files();
  }

  /**
   * The secrets a replica gets: Cerebrium apps see all of their project's secrets (as Cerebrium does), Truss apps the
   * ones their {@code secrets:} names (as Baseten does). Blocking.
   */
  public Map<String, String> secretsFor(AppSpec spec) {
    Map<String, String> all = secrets.values(spec.id().project());
    if (spec.format() == ConfigFormat.CEREBRIUM_TOML) {
      return all;
    }
    Map<String, String> declared = new LinkedHashMap<>();
    for (String name : spec.secretNames()) {
      if (all.containsKey(name)) {
        declared.put(name, all.get(name));
      }
    }
    return declared;
  }

  private List<String> missingSecrets(AppSpec spec) {
    List<String> stored = secrets.names(spec.id().project());
    List<String> warnings = new ArrayList<>();
    for (String name : spec.secretNames()) {
      if (!stored.contains(name)) {
        warnings.add("secret " + name + " has no value in project " + spec.id().project()
            + ": set it with `bin/sluice secrets set " + spec.id().project() + " " + name + "` and redeploy");
      }
    }
    return warnings;
  }

  private record Installed(LoadedApp loaded, AppSpec spec, Path files, long generation, Instant deployedAt,
      List<String> warnings) {}

  /** An app unpacked and checked, not yet deployed. */
  private record Prepared(AppId id, Path folder, Path shownAs, byte[] archive) {}

  @FunctionalInterface
  private interface FolderFiller {
    void fill(Path folder) throws IOException;
  }

  @FunctionalInterface
  private interface ArchiveSource {
    byte[] bytesOf(Path prepared) throws IOException;
  }
}

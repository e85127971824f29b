package io.sluice.dataplane.node;

import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.vertx5.Vertx5HttpClientFactory;
import io.sluice.k8s.KubernetesApps;
import io.sluice.k8s.KubernetesOptions;
import io.sluice.k8s.KubernetesReplicas;
import io.sluice.k8s.ObservedServices;
import io.sluice.cluster.apps.AppCatalog;
import io.sluice.cluster.decisions.FleetDecisions;
import io.sluice.cluster.fleet.Fleet;
import io.sluice.cluster.runs.FleetRuns;
import io.sluice.cluster.state.FleetMap;
import io.sluice.cluster.load.FleetLoad;
import io.sluice.cluster.registry.FleetReplicaRegistry;
import io.sluice.config.ConfigFormat;
import io.sluice.dataplane.admin.AdminApi;
import io.sluice.dataplane.apps.AppDeployer;
import io.sluice.dataplane.apps.AppFiles;
import io.sluice.dataplane.auth.Authenticator;
import io.sluice.dataplane.auth.NodeCredentials;
import io.sluice.dataplane.keda.KedaServer;
import io.sluice.dataplane.metrics.AppSeries;
import io.sluice.dataplane.metrics.NodeMetrics;
import io.sluice.dataplane.proxy.PublicServer;
import io.sluice.dataplane.replica.local.LocalProcessProvider;
import io.sluice.dataplane.routing.AppDirectory;
import io.sluice.dataplane.routing.AppRoute;
import io.sluice.dataplane.scaling.DeciderSpecs;
import io.sluice.dataplane.scaling.ScalingLoop;
import io.sluice.dataplane.dashboard.DashboardRoutes;
import io.sluice.dataplane.logs.FleetLogs;
import io.sluice.dataplane.records.NodeRecords;
import io.sluice.dataplane.routing.NodeDrain;
import io.sluice.dataplane.runs.AsyncRuns;
import io.sluice.dataplane.secrets.SecretStore;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.impl.transports.IoUringTransport;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.transport.Transport;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Sluice node: the public server on every event loop, the admin server, the app deployer and the local-process
 * replica provider, wired together. {@link #stop()} drains in-flight requests, then stops every replica.
 */
public final class SluiceNode {

  private static final Logger log = LoggerFactory.getLogger(SluiceNode.class);

  private final Vertx vertx;
  private final NodeOptions options;
  private final AppDeployer deployer;
  private final int publicPort;
  private final NodeDrain drain;
  private final ScalingLoop scaling;
  private LocalProcessProvider provider;
  private KubernetesReplicas clusterReplicas;
  private PublicServer publicServer;
  private AdminServerVerticle admin;
  private KedaServer keda;
  private NodeCredentials credentials;
  private Fleet fleet;
  private AppCatalog catalog;
  private List<FleetMap> fleetMaps = List.of();
  private FleetReplicaRegistry registry;
  private FleetLoad load;
  private FleetDecisions decisions;
  private Future<Void> stopping;
  private AsyncRuns runs;
  private ControlLoop control;

  private SluiceNode(Vertx vertx, NodeOptions options, AppDeployer deployer, int publicPort, NodeDrain drain,
      ScalingLoop scaling) {
    this.vertx = vertx;
    this.options = options.toBuilder().publicAddress(options.publicHost(), publicPort).build();
    this.deployer = deployer;
    this.publicPort = publicPort;
    this.drain = drain;
    this.scaling = scaling;
  }

  public static Future<SluiceNode> start(NodeOptions options) {
    return start(options, new VertxOptions().setPreferNativeTransport(true));
  }

  /**
   * The socket transport: epoll on Linux, else NIO; {@code -Dsluice.transport=io_uring} (where the kernel allows it),
   * {@code epoll} or {@code nio} chooses. io_uring submits a loop's socket operations together, one system call for
   * many, but on this project's 2-core machine the proxy benchmark on io_uring was behind the same build on epoll
   * (0.83-1.16x nginx's requests/s, and its added p99 above nginx's in every case), so epoll stays the default
   * (bench/proxy/results-io_uring.md). Containers often forbid io_uring
   * (Docker's default seccomp profile, {@code kernel.io_uring_disabled}): asked for there, the node uses epoll.
   */
  static Transport transport(VertxOptions options) {
    String wanted = System.getProperty("sluice.transport", "epoll");
    if (!List.of("epoll", "io_uring", "nio").contains(wanted)) {
      throw new IllegalArgumentException("-Dsluice.transport=" + wanted + " is not a transport: use epoll (the "
          + "default), io_uring or nio");
    }
    if (!options.getPreferNativeTransport() || wanted.equals("nio")) {
      return Transport.NIO;
    }
    if (wanted.equals("io_uring") && Transport.IO_URING.available()) {
      return Transport.IO_URING;
    }
    Transport fallback = Transport.nativeTransport();
    return fallback != null && fallback.available() ? fallback : Transport.NIO;
  }

  public static Future<SluiceNode> start(NodeOptions options, VertxOptions vertxOptions) {
    // Loads and initialises Vert.x's Jackson codec here rather than on an event loop at the first JSON answer,
    // where its 100-200 ms of class initialisation would block every request on that loop.
    Json.encode(Map.of("warm", true));
    Fleet fleet = Fleet.create(options.fleet());
    vertxOptions.setEventLoopPoolSize(options.eventLoops()).getEventBusOptions()
        .setHost(options.fleet().host()).setPort(options.fleet().busPort());
    NodeMetrics metrics = NodeMetrics.create(options.metrics());
    return Vertx.builder().with(metrics.enable(vertxOptions)).withMetrics(metrics.vertxMetrics())
        .withTransport(transport(vertxOptions)).withClusterManager(fleet.clusterManager()).buildClustered()
        .compose(vertx -> {
          ControlLoop control = ControlLoop.open(vertx);
          return startOn(vertx, control, fleet, options, metrics).onFailure(failed -> control.close());
        });
  }

  private static Future<SluiceNode> startOn(Vertx vertx, ControlLoop control, Fleet fleet, NodeOptions options,
      NodeMetrics metrics) {
    InstantSource clock = InstantSource.system();
    AppDirectory directory = new AppDirectory();
    AppSeries appSeries = metrics.follow(directory);
    var hazelcast = fleet.clusterManager().getHazelcastInstance();
    Path fleetState = options.stateDir().resolve("fleet");
    FleetMap credentialMap = new FleetMap(hazelcast, "sluice.credentials", fleetState.resolve("credentials"), clock);
    FleetMap secretMap = new FleetMap(hazelcast, "sluice.secrets", fleetState.resolve("secrets"), clock);
    SecretStore secrets = new SecretStore(secretMap);
    NodeDrain drain = new NodeDrain();
    AppCatalog catalog = new AppCatalog(hazelcast, options.stateDir(), clock,
        command -> vertx.executeBlocking(() -> {
          command.run();
          return null;
        }, false));
    AppDeployer deployer = new AppDeployer(vertx, directory, new AppFiles(options.stateDir()), secrets, clock,
        options.replicaStopGrace(),
        spec -> new AppRoute(spec, options.eventLoops(), options.maxHeldPerApp(), drain,
            appSeries.meters(spec.id())), catalog);
    FleetReplicaRegistry registry = new FleetReplicaRegistry(hazelcast, clock);
    FleetLoad load = new FleetLoad(hazelcast);
    FleetDecisions decisions = new FleetDecisions(hazelcast);
    NodeRecords records = new NodeRecords(vertx, fleet.self(), options.requestRecords(), options.eventLoops(),
        fleet::memberIds, project -> secrets.values(project).values());
    records.listen();
    AsyncRuns runs = new AsyncRuns(vertx, new FleetRuns(hazelcast, fleet.self(), clock, options.runs().retention()),
        options.runs(), clock, credentialMap);
    registry.subscribe(deployer::onReplica);
    deployer.useRegistry(registry, replica -> load.of(replica.app()).stream()
        .filter(nodeLoad -> !nodeLoad.node().equals(load.self()))
        .noneMatch(nodeLoad -> nodeLoad.inFlight().containsKey(replica.name())));
    ScalingLoop scaling = new ScalingLoop(vertx, control.context(), deployer, clock, options.scaling(),
        options.pools(), (app, startup) -> DeciderSpecs.of(app.spec(), startup, options.scaling()), fleet, load,
        registry, decisions);
    deployer.useScaling(scaling);
    int publicPort;
    try {
      publicPort = options.publicPort() == 0 ? freePort(options.publicHost()) : options.publicPort();
    } catch (IOException e) {
      vertx.close();
      return Future.failedFuture(e);
    }
    SluiceNode node = new SluiceNode(vertx, options, deployer, publicPort, drain, scaling);
    node.control = control;
    node.fleet = fleet;
    node.catalog = catalog;
    String replicaUrl = "http://" + (options.publicHost().equals("0.0.0.0") ? "127.0.0.1" : options.publicHost())
        + ":" + publicPort;
    node.fleetMaps = List.of(credentialMap, secretMap);
    node.registry = registry;
    node.load = load;
    node.decisions = decisions;
    return vertx.executeBlocking(() -> {
      FleetMap.await(registry.start());
      FleetMap.await(load.start());
      FleetMap.await(decisions.start());
      fleet.awaitOwner(ScalingLoop.LEADER_KEY);
      if (options.kedaPort().isPresent()) {
        KedaServer.prepare();
      }
      secrets.start(options.stateDir());
      return NodeCredentials.open(vertx, options.stateDir(), options.adminToken(), clock, credentialMap);
    })
        .compose(credentials -> {
          node.credentials = credentials;
          return LocalProcessProvider.create(vertx, control.context(), options.stateDir(), deployer::filesOf,
              deployer::secretsFor,
              app -> Map.of("SLUICE_URL", replicaUrl, "SLUICE_TOKEN", credentials.replicaTokens().tokenFor(app)),
              appSeries.countingReplicas(deployer::onLocalStatus), options.probeTimings(), clock,
              options.mountSecrets(), options.replicaLogs());
        })
        .compose(provider -> {
          node.provider = provider;
          if (options.kubernetes().isEmpty()) {
            deployer.useProvider(provider);
            return Future.succeededFuture(provider);
          }
          // On a cluster the local provider runs no replica; it stays for the admin API's logs of this node.
          KubernetesOptions cluster = options.kubernetes().get();
          KubernetesClient client = new KubernetesClientBuilder()
              .withConfig(cluster.client().orElseGet(() -> new ConfigBuilder().withUserAgent("sluice").build()))
              .withHttpClientFactory(new Vertx5HttpClientFactory(vertx))
              .build();
          KubernetesApps apps = new KubernetesApps(options.pools(), cluster.placements(), cluster.fleetUrl(),
              cluster.publicUrl());
          KubernetesReplicas pods = new KubernetesReplicas(client, cluster.namespace(), apps::objects,
              deployer::secretsFor, node.credentials.replicaTokens()::tokenFor,
              appSeries.countingReplicas(deployer::onLocalStatus), clock,
              cluster.adoptionWindow(), Duration.ofSeconds(1));
          node.clusterReplicas = pods;
          deployer.useEndpointWatch(new ObservedServices(client, cluster.namespace())::watch);
          return Future.fromCompletionStage(pods.start()).map(started -> {
            deployer.useProvider(started);
            log.info("Replicas run as pods in namespace {} of {}", cluster.namespace(),
                client.getConfiguration().getMasterUrl());
            return provider;
          });
        })
        .compose(provider -> {
          FleetLogs fleetLogs = new FleetLogs(vertx, fleet.self(), provider.logs(), fleet::memberIds, clock);
          fleetLogs.listen();
          AdminApi api = new AdminApi(vertx, deployer, secrets, node.credentials.apiKeys(),
              node.credentials.adminToken(), fleetLogs, node::publicBaseUrl,
              options.stateDir().resolve("apps").resolve(".uploads"), node.drain, scaling::snapshot,
              scaling::metrics, scaling::capacity, node::fleetJson).withRuns(runs).withRecords(records)
              .withArchives(catalog, node.credentials.replicaTokens())
              .withDashboard(new DashboardRoutes(vertx, node.credentials.adminToken(), records, scaling::snapshot,
                  directory, fleet::memberIds));
          scaling.start();
          node.admin = new AdminServerVerticle(v -> metrics.mount(api.router()), options.adminHost(),
              options.adminPort());
          return vertx.deployVerticle(node.admin);
        })
        .compose(adminDeployed -> {
          if (options.kedaPort().isEmpty()) {
            return Future.succeededFuture();
          }
          // Bound like the admin port: KEDA's operator reaches it where an operator reaches the admin API.
          node.keda = new KedaServer(scaling, options.adminHost(), options.kedaPort().getAsInt());
          return vertx.deployVerticle(node.keda);
        })
        .compose(adminDeployed -> PublicServer.start(vertx, directory, drain,
            new Authenticator(vertx, options.auth(), node.credentials.apiKeys(), node.credentials.replicaTokens(),
                directory::has),
            options.limits(), options.publicHost(), publicPort, options.holdTimeout().toMillis(), options.tls(),
            runs, records))
        .compose(server -> {
          node.publicServer = server;
          node.runs = runs;
          // Runs go through this node's own public port, over loopback when it listens on every address.
          String runsHost = options.publicHost().equals("0.0.0.0") ? "127.0.0.1" : options.publicHost();
          runs.start(control.context(), runsHost, publicPort, node.credentials.replicaTokens()::tokenFor);
          log.info("Sluice node up: public {}://{}:{}, admin http://{}:{}{}, {} event loop(s) on {}; fleet {} of {} "
              + "member(s)", options.tls().isPresent() ? "https" : "http", options.publicHost(), publicPort,
              options.adminHost(), node.adminPort(),
              node.keda == null ? "" : ", KEDA scaler grpc://" + options.adminHost() + ":" + node.keda.actualPort(),
              options.eventLoops(), transportName(vertx), options.fleet().clusterName(), fleet.members().size());
          return Future.fromCompletionStage(catalog.start())
              .compose(merged -> node.deployer.caughtUp())
              .compose(caughtUp -> node.deployAppsDir());
        })
        .map(node)
        .recover(failure -> vertx.close().transform(closed -> Future.failedFuture(failure)));
  }

  /** The socket transport in use, and why the native one is not when it was wanted. */
  private static String transportName(Vertx vertx) {
    if (vertx.isNativeTransportEnabled()) {
      return ((VertxInternal) vertx).transport() instanceof IoUringTransport ? "io_uring" : "epoll";
    }
    Throwable why = vertx.unavailableNativeTransportCause();
    return why == null ? "NIO" : "NIO (native transport unavailable: " + why.getMessage() + ")";
  }

  /** Deploys every app folder under the apps folder; a bad config is logged and skipped, the others still deploy. */
  private Future<Void> deployAppsDir() {
    if (options.appsDir().isEmpty()) {
      return Future.succeededFuture();
    }
    Path appsDir = options.appsDir().get();
    return vertx.executeBlocking(() -> appFolders(appsDir)).compose(folders -> {
      List<Future<?>> deploys = new ArrayList<>();
      for (Path folder : folders) {
        deploys.add(deployer.deployFolderIfChanged(folder)
            .onFailure(e -> log.error("Not deployed: {}: {}", folder, e.getMessage())));
      }
      return Future.join(deploys).<Void>mapEmpty().otherwiseEmpty();
    });
  }

  private static List<Path> appFolders(Path appsDir) throws IOException {
    if (!Files.isDirectory(appsDir)) {
      throw new IOException("apps folder " + appsDir + " does not exist");
    }
    try (Stream<Path> children = Files.list(appsDir)) {
      return children.filter(Files::isDirectory)
          .filter(dir -> Files.exists(dir.resolve(ConfigFormat.CEREBRIUM_TOML.fileName()))
              || Files.exists(dir.resolve(ConfigFormat.TRUSS_YAML.fileName())))
          .sorted()
          .toList();
    }
  }

  /**
   * Drains, then stops: new requests get 503 and the admin {@code /ready} says 503, in-flight requests run to their
   * end (up to the drain timeout), then connections close and every replica stops. Safe to call more than once.
   */
  public synchronized Future<Void> stop() {
    if (stopping == null) {
      CompletableFuture<Void> stopped = new CompletableFuture<>();
      drain.begin();
      if (runs != null) {
        runs.stop();
      }
      scaling.stop();
      catalog.close();
      fleetMaps.forEach(FleetMap::close);
      long deadline = System.nanoTime() + options.drainTimeout().toNanos();
      awaitDrained(deadline)
          .eventually(() -> publicServer == null ? Future.succeededFuture() : publicServer.close())
          .eventually(() -> clusterReplicas == null
              ? Future.succeededFuture()
              : Future.fromCompletionStage(clusterReplicas.stopAll(options.replicaStopGrace())))
          .eventually(() -> provider == null
              ? Future.succeededFuture()
              : Future.fromCompletionStage(provider.stopAll(options.replicaStopGrace())))
          .eventually(() -> {
            if (registry != null) {
              registry.close();
              load.close();
              decisions.close();
            }
            return Future.succeededFuture();
          })
          // Vert.x completes close() on the caller's context, which close() itself shuts down: call it from a plain
          // thread so that the completion has somewhere to run.
          .onComplete(drained -> new Thread(() -> vertx.close().eventually(control::close).onComplete(closed -> {
            log.info("Sluice node stopped");
            stopped.complete(null);
          }), "sluice-close").start());
      stopping = Future.fromCompletionStage(stopped);
    }
    return stopping;
  }

  private Future<Void> awaitDrained(long deadlineNanos) {
    Promise<Void> drained = Promise.promise();
    checkDrained(drained, deadlineNanos);
    return drained.future();
  }

  private void checkDrained(Promise<Void> drained, long deadlineNanos) {
    long left = drain.inFlight();
    if (left == 0) {
      drained.complete();
    } else if (System.nanoTime() > deadlineNanos) {
      log.warn("Drain timeout: closing with {} request(s) still in flight", left);
      drained.complete();
    } else {
      vertx.setTimer(20, t -> checkDrained(drained, deadlineNanos));
    }
  }

  /** For a JVM going down without an orderly stop: waits for {@link #stop()} a while, then kills replicas. */
  public void stopBlocking(long timeout, TimeUnit unit) {
    java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
    stop().onComplete(done -> stopped.countDown());
    try {
      if (!stopped.await(timeout, unit)) {
        log.warn("Node did not stop within {} {}; killing replicas", timeout, unit);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      if (provider != null) {
        provider.killAllNow();
      }
    }
  }

  public int publicPort() {
    return publicPort;
  }

  /** The fleet's members as the admin API shows them. */
  public JsonObject fleetJson() {
    JsonArray members = new JsonArray();
    fleet.members().forEach(member -> members.add(new JsonObject().put("id", member.id())
        .put("address", member.address()).put("local", member.local())));
    return new JsonObject().put("name", options.fleet().clusterName()).put("members", members)
        .put("places_replicas", scaling.leads()).put("decides_for", new JsonArray(scaling.decidedHere()));
  }

  /** Whether this node places replicas for the fleet now. */
  public boolean leadsScaling() {
    return scaling.leads();
  }

  /** Whether this node is the app's decider now. */
  public boolean decides(io.sluice.config.AppId app) {
    return scaling.decides(app);
  }

  public Fleet fleet() {
    return fleet;
  }

  /** Client connections open on the public port now. */
  public int openConnections() {
    return publicServer.openConnections();
  }

  public int adminPort() {
    return admin.actualPort();
  }

  /** The port KEDA's external scaler listens on; empty when the node does not serve it. */
  public java.util.OptionalInt kedaPort() {
    return keda == null ? java.util.OptionalInt.empty() : java.util.OptionalInt.of(keda.actualPort());
  }

  /** How many of KEDA's {@code StreamIsActive} streams this node has open now. */
  public int kedaStreams() {
    return keda == null ? 0 : keda.openStreams();
  }

  public String publicBaseUrl() {
    String host = options.publicHost().equals("0.0.0.0") ? "localhost" : options.publicHost();
    return (options.tls().isPresent() ? "https://" : "http://") + host + ":" + publicPort;
  }

  /** Whether replicas read their secrets at {@code /secrets} (private mount namespaces are available). */
  public boolean mountsSecrets() {
    return provider.mountsSecrets();
  }

  ScalingLoop scaling() {
    return scaling;
  }

  public AppDeployer deployer() {
    return deployer;
  }

  public Vertx vertx() {
    return vertx;
  }

  public NodeOptions options() {
    return options;
  }

  private static int freePort(String host) throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(host))) {
      return socket.getLocalPort();
    }
  }
}

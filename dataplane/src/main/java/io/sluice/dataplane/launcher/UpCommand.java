package io.sluice.dataplane.launcher;

import io.sluice.cluster.fleet.FleetDiscovery;
import io.sluice.cluster.fleet.FleetOptions;
import io.sluice.config.AuthSpec;
import io.sluice.config.NodeConfig;
import io.sluice.config.NodeConfigReader;
import io.sluice.dataplane.auth.AdminToken;
import io.sluice.dataplane.auth.AuthOptions;
import io.sluice.dataplane.auth.NodeCredentials;
import io.sluice.dataplane.metrics.MetricsOptions;
import io.sluice.dataplane.node.NodeOptions;
import io.sluice.k8s.KubernetesOptions;
import io.sluice.dataplane.node.SluiceNode;
import io.sluice.dataplane.proxy.PublicTls;
import io.sluice.dataplane.records.NodeRecords;
import io.sluice.dataplane.replica.local.ReplicaLogLimits;
import io.sluice.dataplane.runs.RunOptions;
import io.sluice.dataplane.scaling.ScalingOptions;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sluice up}: runs a node in the foreground until Ctrl-C or SIGTERM, then drains and stops its replicas. */
@Command(name = "up", mixinStandardHelpOptions = true,
    description = "Start a node. Every subfolder of --apps with a cerebrium.toml or config.yaml is deployed.")
final class UpCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--port", defaultValue = "8080", description = "Public port (default: ${DEFAULT-VALUE}).")
  int port;

  @Option(names = "--host", defaultValue = "0.0.0.0", description = "Public address (default: ${DEFAULT-VALUE}).")
  String host;

  @Option(names = "--admin-port", defaultValue = "9090",
      description = "Admin API port (default: ${DEFAULT-VALUE}).")
  int adminPort;

  @Option(names = "--admin-host", defaultValue = "127.0.0.1",
      description = "Admin API address (default: ${DEFAULT-VALUE}: this machine only).")
  String adminHost;

  @Option(names = "--keda-port", paramLabel = "PORT",
      description = "Serve KEDA's external scaler (gRPC) on this port of the admin address, for ScaledObjects with "
          + "an external-push trigger (default: not served).")
  Integer kedaPort;

  @Option(names = "--apps", paramLabel = "DIR", defaultValue = "${env:SLUICE_APPS}",
      description = "Folder of apps to deploy at start (default: $SLUICE_APPS; bin/sluice sets the examples).")
  Path apps;

  @Option(names = "--state", paramLabel = "DIR", defaultValue = "${env:SLUICE_STATE:-${sys:user.home}/.sluice}",
      description = "Folder for deployed apps, replicas' files and logs, secrets (default: ${DEFAULT-VALUE}).")
  Path state;

  @Option(names = "--config", paramLabel = "FILE",
      description = "The node's sluice.toml: [[pools]] of GPU nodes, [limits] of the public port, [auth] JWT issuers "
          + "(default: one CPU pool, no GPUs, the built-in limits, API keys only).")
  Path config;

  @Option(names = "--policy", defaultValue = "sluice",
      description = "Scaling policy: sluice or knative (Knative's KPA) (default: ${DEFAULT-VALUE}).")
  String policy;

  @Option(names = "--scale-to-zero-grace", defaultValue = "PT30S",
      description = "How long an idle app keeps its last replica, ISO-8601 (default: ${DEFAULT-VALUE}).")
  Duration scaleToZeroGrace;

  @Option(names = "--jwt-key", paramLabel = "ALG:FILE",
      description = "Trust JWTs signed with this key: HS256:FILE (the shared secret) or RS256/ES256/...:FILE (a PEM "
          + "public key). Repeatable. Their `project` claim names the project they open.")
  List<String> jwtKeys = new ArrayList<>();

  @Option(names = "--jwt-audience", description = "The `aud` a JWT must include (default: the config's "
      + "[auth] jwt_audience, else sluice).")
  String jwtAudience;

  @Option(names = "--jwt-issuer", description = "The `iss` a JWT must carry (default: the config's [auth] "
      + "jwt_issuer, else any).")
  String jwtIssuer;

  @Option(names = "--join", paramLabel = "HOST[:PORT]", split = ",",
      description = "Other nodes of the fleet to join through (TCP/IP; multicast is never used). Without it the node "
          + "is a fleet of one.")
  List<String> join = new ArrayList<>();

  @Option(names = "--fleet-host", defaultValue = "127.0.0.1",
      description = "Address the fleet's traffic binds to and other nodes reach this one at (default: "
          + "${DEFAULT-VALUE}; give this machine's address to form a fleet across machines).")
  String fleetHost;

  @Option(names = "--fleet-port", defaultValue = "5701",
      description = "Fleet port; the next ones are tried when it is taken (default: ${DEFAULT-VALUE}).")
  int fleetPort;

  @Option(names = "--bus-port", defaultValue = "0",
      description = "Port of the event bus between the fleet's nodes, on --fleet-host; 0 for any free port "
          + "(default: ${DEFAULT-VALUE}; give one when a network policy or firewall must allow it).")
  int busPort;

  @Option(names = "--fleet-name", defaultValue = FleetOptions.DEFAULT_CLUSTER_NAME,
      description = "Nodes join only a fleet of the same name (default: ${DEFAULT-VALUE}).")
  String fleetName;

  @Option(names = "--run-lease", defaultValue = "PT30S",
      description = "How long a node works on an asynchronous run between renewals of its lease; a run whose node "
          + "dies runs again elsewhere after it, ISO-8601 (default: ${DEFAULT-VALUE}).")
  Duration runLease;

  @Option(names = "--run-retention", defaultValue = "PT24H",
      description = "How long a finished asynchronous run and its result are kept, ISO-8601 "
          + "(default: ${DEFAULT-VALUE}).")
  Duration runRetention;

  @Option(names = "--request-records", defaultValue = "" + NodeRecords.DEFAULT_CAPACITY,
      description = "How many request records the node keeps in memory for `sluice requests` and the dashboard; 0 "
          + "makes none (default: ${DEFAULT-VALUE}).")
  int requestRecords;

  @Option(names = "--tls-cert", paramLabel = "FILE",
      description = "Serve the public port over TLS with this PEM certificate chain (needs --tls-key); clients then "
          + "get HTTP/2 or HTTP/1.1 by ALPN. Without it the port is clear text (HTTP/1.1, and h2c).")
  Path tlsCert;

  @Option(names = "--tls-key", paramLabel = "FILE",
      description = "The PEM private key (unencrypted PKCS#8) of --tls-cert.")
  Path tlsKey;

  @Option(names = "--metrics-max-apps", defaultValue = "" + MetricsOptions.DEFAULT_MAX_APPS_WITH_SERIES,
      description = "How many apps get series of their own at the admin port's /metrics; the rest are counted "
          + "under app=\"_other\" (default: ${DEFAULT-VALUE}).")
  int metricsMaxApps;

  @Option(names = "--replica-log-mib", defaultValue = "10",
      description = "Size of each of a replica's log files, in MiB; the oldest goes when they are full "
          + "(default: ${DEFAULT-VALUE}).")
  int replicaLogMib;

  @Option(names = "--replica-log-files", defaultValue = "3",
      description = "Log files kept per replica, the one being written included (default: ${DEFAULT-VALUE}).")
  int replicaLogFiles;

  @Option(names = "--replicas", defaultValue = "local", paramLabel = "local|kubernetes",
      description = "Where replicas run: local processes on this machine, or pods of the Kubernetes cluster the node "
          + "runs in (or its kubeconfig points at) (default: ${DEFAULT-VALUE}).")
  String replicas;

  @Option(names = "--namespace", defaultValue = "${env:SLUICE_NAMESPACE:-default}",
      description = "With --replicas kubernetes: the namespace of the apps' Deployments (default: ${DEFAULT-VALUE}).")
  String namespace;

  @Option(names = "--adoption-window", defaultValue = "PT60S",
      description = "With --replicas kubernetes: how long a pod that no replica claims is kept for a node taking over "
          + "to adopt, before it is scaled away (default: ${DEFAULT-VALUE}).")
  Duration adoptionWindow;

  @Option(names = "--fleet-url", paramLabel = "URL",
      description = "With --replicas kubernetes: where pods fetch their app's files from the fleet "
          + "(default: http://sluice-admin.NAMESPACE.svc:ADMIN-PORT, the manifests' admin Service).")
  String fleetUrl;

  @Option(names = "--gone-replica-logs", defaultValue = "10",
      description = "Gone replicas (stopped or failed) per app whose logs are kept (default: ${DEFAULT-VALUE}).")
  int goneReplicaLogs;

  private ReplicaLogLimits replicaLogLimits() {
    if (replicaLogMib < 1) {
      throw new CommandFailed("--replica-log-mib: " + replicaLogMib + " (expected: >= 1)");
    }
    try {
      return new ReplicaLogLimits(replicaLogMib * 1024L * 1024L, replicaLogFiles, goneReplicaLogs);
    } catch (IllegalArgumentException e) {
      throw new CommandFailed("--replica-log-mib / --replica-log-files / --gone-replica-logs: " + e.getMessage());
    }
  }

  /** Empty for local processes. */
  KubernetesOptions kubernetesOptions(NodeConfig nodeConfig) {
    switch (replicas) {
      case "local":
        return null;
      case "kubernetes":
        try {
          return new KubernetesOptions(namespace, adoptionWindow,
              fleetUrl != null ? fleetUrl : "http://sluice-admin." + namespace + ".svc:" + adminPort,
              "http://sluice." + namespace + ".svc", nodeConfig.placements(), Optional.empty());
        } catch (IllegalArgumentException e) {
          throw new CommandFailed("--namespace / --adoption-window: " + e.getMessage());
        }
      default:
        throw new CommandFailed("--replicas: " + replicas + " (expected: local or kubernetes)");
    }
  }

  private RunOptions runOptions() {
    RunOptions defaults = RunOptions.defaults();
    try {
      return new RunOptions(defaults.maxBodyBytes(), defaults.maxResultBytes(), runRetention, runLease,
          Duration.ofMillis(Math.min(500, Math.max(10, runLease.toMillis() / 4))), defaults.maxRunning(),
          defaults.maxAttempts(), defaults.webhookAttempts());
    } catch (IllegalArgumentException e) {
      throw new CommandFailed("--run-lease / --run-retention: " + e.getMessage());
    }
  }

  private PublicTls publicTls() {
    if ((tlsCert == null) != (tlsKey == null)) {
      throw new CommandFailed("--tls-cert and --tls-key go together: give both (the certificate chain and its "
          + "private key, PEM files) or neither");
    }
    return tlsCert == null ? null : new PublicTls(tlsCert.toAbsolutePath(), tlsKey.toAbsolutePath());
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    NodeConfig nodeConfig = config == null ? NodeConfig.defaults() : NodeConfigReader.readNode(config);
    NodeOptions options = NodeOptions.defaults(state.toAbsolutePath()).toBuilder()
        .publicAddress(host, port)
        .adminAddress(adminHost, adminPort)
        .appsDir(apps == null ? null : apps.toAbsolutePath())
        .scaling(new ScalingOptions(policy, ScalingOptions.defaults().tick(), scaleToZeroGrace))
        .pools(nodeConfig.pools())
        .limits(nodeConfig.limits())
        .auth(authOptions(nodeConfig.auth()))
        .fleet(fleetOptions(System.getenv()))
        .adminToken(Optional.ofNullable(System.getenv(AdminToken.ENV)))
        .metrics(new MetricsOptions(metricsMaxApps))
        .tls(publicTls())
        .runs(runOptions())
        .requestRecords(requestRecords)
        .replicaLogs(replicaLogLimits())
        .kubernetes(kubernetesOptions(nodeConfig))
        .kedaPort(kedaPort)
        .build();
    // The CLI's main thread, not an event loop: it may wait for the node to come up.
    CompletableFuture<SluiceNode> started = new CompletableFuture<>();
    SluiceNode.start(options).onComplete(up -> {
      if (up.succeeded()) {
        started.complete(up.result());
      } else {
        started.completeExceptionally(up.cause());
      }
    });
    SluiceNode node;
    try {
      node = started.get();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new CommandFailed("The node did not start: " + e.getCause().getMessage());
    }
    CountDownLatch stopped = new CountDownLatch(1);
    long stopSeconds = stopSeconds(options);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      node.stopBlocking(stopSeconds, TimeUnit.SECONDS);
      stopped.countDown();
    }, "sluice-shutdown"));
    out.printf("Sluice is up: apps at %s/v4/{project}/{app}/..., admin API at http://%s:%d%n",
        node.publicBaseUrl(), adminHost, node.adminPort());
    node.kedaPort().ifPresent(keda -> out.printf("KEDA's external scaler at %s:%d (gRPC)%n", adminHost, keda));
    node.deployer().apps().forEach(app -> out.printf("  %s  %s/v4/%s/%n", app.spec().id(), node.publicBaseUrl(),
        app.spec().id().key()));
    Path starterKey = options.stateDir().resolve(NodeCredentials.STARTER_KEY_FILE);
    if (Files.exists(starterKey)) {
      out.printf("Call them with the key in %s:%n  curl -H \"Authorization: Bearer $(cat %s)\" %s/v4/local/hello/%n",
          starterKey, starterKey, node.publicBaseUrl());
    }
    out.println("Stop with Ctrl-C: in-flight requests finish, then replicas stop.");
    out.flush();
    stopped.await();
    return 0;
  }

  /**
   * The fleet flags, resolved against where the node runs: in a pod whose manifests name the fleet's headless service,
   * members are found through it (see {@link FleetDiscovery}).
   */
  FleetOptions fleetOptions(java.util.Map<String, String> env) {
    try {
      FleetOptions given = FleetOptions.alone().named(fleetName).joining(fleetHost, fleetPort, join)
          .withBusPort(busPort);
      return FleetDiscovery.resolve(given, env);
    } catch (IllegalArgumentException e) {
      throw new CommandFailed(e.getMessage());
    }
  }

  /**
   * How long the shutdown hook waits for the node to stop: the drain, then the replicas' grace, and 10 s for the
   * rest. A pod's {@code terminationGracePeriodSeconds} must leave at least this much after its preStop hook.
   */
  static long stopSeconds(NodeOptions options) {
    return options.drainTimeout().plus(options.replicaStopGrace()).toSeconds() + 10;
  }

  /** The config file's [auth], with --jwt-key, --jwt-audience and --jwt-issuer on top. */
  private AuthOptions authOptions(AuthSpec fromConfig) {
    List<AuthOptions.JwtKey> flagged = new ArrayList<>();
    AuthOptions options;
    try {
      options = AuthOptions.read(fromConfig);
      for (String given : jwtKeys) {
        int colon = given.indexOf(':');
        if (colon < 0) {
          throw new IllegalArgumentException("--jwt-key " + given + ": expected ALG:FILE, e.g. RS256:issuer.pem");
        }
        flagged.add(AuthOptions.readKey(given.substring(0, colon), Path.of(given.substring(colon + 1))));
      }
    } catch (IllegalArgumentException e) {
      throw new CommandFailed(e.getMessage());
    }
    options = options.withKeys(flagged);
    return new AuthOptions(options.jwtKeys(), jwtAudience != null ? jwtAudience : options.audience(),
        jwtIssuer != null ? Optional.of(jwtIssuer) : options.issuer());
  }
}

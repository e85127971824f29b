package io.sluice.dataplane.node;

import io.sluice.cluster.fleet.FleetOptions;
import io.sluice.dataplane.auth.AuthOptions;
import io.sluice.dataplane.metrics.MetricsOptions;
import io.sluice.dataplane.proxy.PublicTls;
import io.sluice.dataplane.records.NodeRecords;
import io.sluice.config.ClientLimits;
import io.sluice.dataplane.replica.local.ProbeTimings;
import io.sluice.dataplane.replica.local.ReplicaLogLimits;
import io.sluice.dataplane.runs.RunOptions;
import io.sluice.dataplane.scaling.ScalingOptions;
import io.sluice.config.NodeConfigReader;
import io.sluice.config.NodePoolSpec;
import io.sluice.k8s.KubernetesOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * How one node runs. {@link #defaults(Path)} is the embedded default: public port 8080 on all interfaces, admin port
 * 9090 on loopback only, no KEDA scaler port, Sluice's scaling policy.
 *
 * @param pools the GPU (and CPU) node pools replicas are placed on; one CPU pool "local" by default
 * @param appsDir every subfolder holding a {@code cerebrium.toml} or {@code config.yaml} is deployed at start
 * @param holdTimeout how long a request may wait in an app's hold queue for a replica slot
 * @param maxHeldPerApp how many requests may wait in one app's hold queue
 * @param drainTimeout how long a stopping node waits for in-flight requests before closing connections
 * @param replicaStopGrace how long a replica has to exit after SIGTERM before it is killed
 * @param mountSecrets whether to try a private mount namespace per replica for {@code /secrets}
 * @param limits what the public port puts up with from clients
 * @param auth the JWT issuers the public port trusts besides the node's own API keys
 * @param adminToken the admin API's credential when the operator sets it; else the node makes one
 * @param fleet how the node finds the other nodes of its fleet; alone on loopback by default
 * @param metrics how many apps get series of their own at the admin port's {@code /metrics}
 * @param tls the public port's certificate and key when it speaks TLS (HTTP/1.1 and, by ALPN, HTTP/2)
 * @param runs how asynchronous runs are taken in, carried out and kept
 * @param requestRecords how many request records the node keeps (0: none are made)
 * @param replicaLogs how much of replicas' output is kept on disk
 * @param kedaPort the port of KEDA's external scaler (gRPC), on the admin address; empty: not served; 0: any free port
 * @param kubernetes where replicas run as pods; empty to run them as local processes (the embedded default)
 */
public record NodeOptions(
    String publicHost,
    int publicPort,
    String adminHost,
    int adminPort,
    Path stateDir,
    Optional<Path> appsDir,
    int eventLoops,
    ProbeTimings probeTimings,
    ScalingOptions scaling,
    List<NodePoolSpec> pools,
    Duration holdTimeout,
    int maxHeldPerApp,
    Duration drainTimeout,
    Duration replicaStopGrace,
    boolean mountSecrets,
    ClientLimits limits,
    AuthOptions auth,
    Optional<String> adminToken,
    FleetOptions fleet,
    MetricsOptions metrics,
    Optional<PublicTls> tls,
    RunOptions runs,
    int requestRecords,
    ReplicaLogLimits replicaLogs,
    OptionalInt kedaPort,
    Optional<KubernetesOptions> kubernetes) {

  public NodeOptions {
    Objects.requireNonNull(publicHost, "publicHost");
    Objects.requireNonNull(adminHost, "adminHost");
    Objects.requireNonNull(stateDir, "stateDir");
    Objects.requireNonNull(appsDir, "appsDir");
    Objects.requireNonNull(probeTimings, "probeTimings");
    Objects.requireNonNull(scaling, "scaling");
    pools = List.copyOf(pools);
    require(!pools.isEmpty(), "pools", pools, "at least one node pool");
    checkPort("publicPort", publicPort);
    checkPort("adminPort", adminPort);
    require(eventLoops >= 1, "eventLoops", eventLoops, ">= 1");
    require(holdTimeout.toMillis() >= 1, "holdTimeout", holdTimeout, ">= 1 ms");
    require(maxHeldPerApp >= 1, "maxHeldPerApp", maxHeldPerApp, ">= 1");
    require(!drainTimeout.isNegative(), "drainTimeout", drainTimeout, ">= 0");
    require(!replicaStopGrace.isNegative(), "replicaStopGrace", replicaStopGrace, ">= 0");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(auth, "auth");
    Objects.requireNonNull(adminToken, "adminToken");
    Objects.requireNonNull(fleet, "fleet");
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(tls, "tls");
    Objects.requireNonNull(runs, "runs");
    require(requestRecords >= 0, "requestRecords", requestRecords, ">= 0");
    Objects.requireNonNull(replicaLogs, "replicaLogs");
    Objects.requireNonNull(kedaPort, "kedaPort");
    kedaPort.ifPresent(port -> checkPort("kedaPort", port));
    Objects.requireNonNull(kubernetes, "kubernetes");
  }

  /** Everything but the admin token's value, so that logging the options cannot leak it. */
  @Override
  public String toString() {
    return "NodeOptions[public=" + publicHost + ":" + publicPort + ", admin=" + adminHost + ":" + adminPort
        + ", stateDir=" + stateDir + ", appsDir=" + appsDir + ", eventLoops=" + eventLoops + ", scaling=" + scaling
        + ", pools=" + pools + ", holdTimeout=" + holdTimeout + ", maxHeldPerApp=" + maxHeldPerApp + ", limits="
        + limits + ", auth=" + auth + ", adminToken=" + (adminToken.isPresent() ? "(set)" : "(generated)")
        + ", fleet=" + fleet + ", metrics=" + metrics + ", tls=" + tls + ", runs=" + runs + ", requestRecords="
        + requestRecords + ", replicaLogs=" + replicaLogs + ", kedaPort=" + kedaPort + ", kubernetes=" + kubernetes
        + "]";
  }

  private static void checkPort(String key, int port) {
    require(port >= 0 && port <= 65535, key, port, "0..65535, 0 for any free port");
  }

  private static void require(boolean ok, String key, Object value, String expected) {
    if (!ok) {
      throw new IllegalArgumentException(key + ": " + value + " (expected: " + expected + ")");
    }
  }

  public static NodeOptions defaults(Path stateDir) {
    return new NodeOptions("0.0.0.0", 8080, "127.0.0.1", 9090, stateDir, Optional.empty(),
        Runtime.getRuntime().availableProcessors(), ProbeTimings.defaults(), ScalingOptions.defaults(),
        NodeConfigReader.defaultPools(), Duration.ofSeconds(120), 1000, Duration.ofSeconds(30), Duration.ofSeconds(10), true,
        ClientLimits.defaults(), AuthOptions.defaults(), Optional.empty(), FleetOptions.alone(),
        MetricsOptions.defaults(), Optional.empty(), RunOptions.defaults(), NodeRecords.DEFAULT_CAPACITY,
        ReplicaLogLimits.defaults(), OptionalInt.empty(), Optional.empty());
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  /** Changes a few options of a valid set; {@link #build()} validates the result. */
  public static final class Builder {
    private String publicHost;
    private int publicPort;
    private String adminHost;
    private int adminPort;
    private Path stateDir;
    private Optional<Path> appsDir;
    private int eventLoops;
    private ProbeTimings probeTimings;
    private ScalingOptions scaling;
    private List<NodePoolSpec> pools;
    private Duration holdTimeout;
    private int maxHeldPerApp;
    private Duration drainTimeout;
    private Duration replicaStopGrace;
    private boolean mountSecrets;
    private ClientLimits limits;
    private AuthOptions auth;
    private Optional<String> adminToken;
    private FleetOptions fleet;
    private MetricsOptions metrics;
    private Optional<PublicTls> tls;
    private RunOptions runs;
    private int requestRecords;
    private ReplicaLogLimits replicaLogs;
    private OptionalInt kedaPort;
    private Optional<KubernetesOptions> kubernetes;

    private Builder(NodeOptions from) {
      publicHost = from.publicHost;
      publicPort = from.publicPort;
      adminHost = from.adminHost;
      adminPort = from.adminPort;
      stateDir = from.stateDir;
      appsDir = from.appsDir;
      eventLoops = from.eventLoops;
      probeTimings = from.probeTimings;
      scaling = from.scaling;
      pools = from.pools;
      holdTimeout = from.holdTimeout;
      maxHeldPerApp = from.maxHeldPerApp;
      drainTimeout = from.drainTimeout;
      replicaStopGrace = from.replicaStopGrace;
      mountSecrets = from.mountSecrets;
      limits = from.limits;
      auth = from.auth;
      adminToken = from.adminToken;
      fleet = from.fleet;
      metrics = from.metrics;
      tls = from.tls;
      runs = from.runs;
      requestRecords = from.requestRecords;
      replicaLogs = from.replicaLogs;
      kedaPort = from.kedaPort;
      kubernetes = from.kubernetes;
    }

    /** Serves KEDA's external scaler on this port of the admin address (0: any free port); null: not served. */
    public Builder kedaPort(Integer port) {
      kedaPort = port == null ? OptionalInt.empty() : OptionalInt.of(port);
      return this;
    }

    /** Replicas run as pods of this cluster; null for local processes. */
    public Builder kubernetes(KubernetesOptions options) {
      kubernetes = Optional.ofNullable(options);
      return this;
    }

    public Builder requestRecords(int count) {
      requestRecords = count;
      return this;
    }

    public Builder replicaLogs(ReplicaLogLimits limits) {
      replicaLogs = limits;
      return this;
    }

    public Builder runs(RunOptions options) {
      runs = options;
      return this;
    }

    /** The public port speaks TLS with this certificate and key; null for clear text. */
    public Builder tls(PublicTls files) {
      tls = Optional.ofNullable(files);
      return this;
    }

    public Builder fleet(FleetOptions options) {
      fleet = options;
      return this;
    }

    public Builder metrics(MetricsOptions options) {
      metrics = options;
      return this;
    }

    public Builder limits(ClientLimits proxyLimits) {
      limits = proxyLimits;
      return this;
    }

    public Builder auth(AuthOptions options) {
      auth = options;
      return this;
    }

    public Builder adminToken(Optional<String> token) {
      adminToken = token;
      return this;
    }

    public Builder publicAddress(String host, int port) {
      publicHost = host;
      publicPort = port;
      return this;
    }

    public Builder adminAddress(String host, int port) {
      adminHost = host;
      adminPort = port;
      return this;
    }

    public Builder appsDir(Path dir) {
      appsDir = Optional.ofNullable(dir);
      return this;
    }

    public Builder eventLoops(int count) {
      eventLoops = count;
      return this;
    }

    public Builder probeTimings(ProbeTimings timings) {
      probeTimings = timings;
      return this;
    }

    public Builder scaling(ScalingOptions options) {
      scaling = options;
      return this;
    }

    public Builder pools(List<NodePoolSpec> nodePools) {
      pools = nodePools;
      return this;
    }

    public Builder hold(Duration timeout, int maxPerApp) {
      holdTimeout = timeout;
      maxHeldPerApp = maxPerApp;
      return this;
    }

    public Builder stopping(Duration drain, Duration replicaGrace) {
      drainTimeout = drain;
      replicaStopGrace = replicaGrace;
      return this;
    }

    public NodeOptions build() {
      return new NodeOptions(publicHost, publicPort, adminHost, adminPort, stateDir, appsDir, eventLoops,
          probeTimings, scaling, pools, holdTimeout, maxHeldPerApp, drainTimeout, replicaStopGrace, mountSecrets,
          limits, auth, adminToken, fleet, metrics, tls, runs, requestRecords, replicaLogs, kedaPort, kubernetes);
    }
  }
}

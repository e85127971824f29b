package io.sluice.dataplane.node;

import io.sluice.dataplane.replica.local.ProbeTimings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How one node runs. {@link #defaults(Path)} is the embedded default: public port 8080 on all interfaces, admin port
 * 9090 on loopback only.
 *
 * @param appsDir every subfolder holding a {@code cerebrium.toml} or {@code config.yaml} is deployed at start
 * @param drainTimeout how long a stopping node waits for in-flight requests before closing connections
 * @param replicaStopGrace how long a replica has to exit after SIGTERM before it is killed
 * @param mountSecrets whether to try a private mount namespace per replica for {@code /secrets}
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
    Duration drainTimeout,
    Duration replicaStopGrace,
    boolean mountSecrets) {

  public NodeOptions {
    Objects.requireNonNull(publicHost, "publicHost");
    Objects.requireNonNull(adminHost, "adminHost");
    Objects.requireNonNull(stateDir, "stateDir");
    Objects.requireNonNull(appsDir, "appsDir");
    Objects.requireNonNull(probeTimings, "probeTimings");
    checkPort("publicPort", publicPort);
    checkPort("adminPort", adminPort);
    if (eventLoops < 1) {
      throw new IllegalArgumentException("eventLoops: " + eventLoops + " (expected: >= 1)");
    }
  }

  private static void checkPort(String key, int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException(key + ": " + port + " (expected: 0..65535, 0 for any free port)");
    }
  }

  public static NodeOptions defaults(Path stateDir) {
    return new NodeOptions("0.0.0.0", 8080, "127.0.0.1", 9090, stateDir, Optional.empty(),
        Runtime.getRuntime().availableProcessors(), ProbeTimings.defaults(), Duration.ofSeconds(30),
        Duration.ofSeconds(10), true);
  }

  public NodeOptions withPorts(int newPublicPort, int newAdminPort) {
    return new NodeOptions(publicHost, newPublicPort, adminHost, newAdminPort, stateDir, appsDir, eventLoops,
        probeTimings, drainTimeout, replicaStopGrace, mountSecrets);
  }

  public NodeOptions withAppsDir(Path dir) {
    return new NodeOptions(publicHost, publicPort, adminHost, adminPort, stateDir, Optional.ofNullable(dir),
        eventLoops, probeTimings, drainTimeout, replicaStopGrace, mountSecrets);
  }

  public NodeOptions withProbeTimings(ProbeTimings timings) {
    return new NodeOptions(publicHost, publicPort, adminHost, adminPort, stateDir, appsDir, eventLoops, timings,
        drainTimeout, replicaStopGrace, mountSecrets);
  }

  public NodeOptions withDrain(Duration drain, Duration stopGrace) {
    return new NodeOptions(publicHost, publicPort, adminHost, adminPort, stateDir, appsDir, eventLoops,
        probeTimings, drain, stopGrace, mountSecrets);
  }
}

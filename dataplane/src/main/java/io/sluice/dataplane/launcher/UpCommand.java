package io.sluice.dataplane.launcher;

import io.sluice.config.NodeConfigReader;
import io.sluice.dataplane.node.NodeOptions;
import io.sluice.dataplane.node.SluiceNode;
import io.sluice.dataplane.scaling.ScalingOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
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

  @Option(names = "--apps", paramLabel = "DIR", defaultValue = "${env:SLUICE_APPS}",
      description = "Folder of apps to deploy at start (default: $SLUICE_APPS; bin/sluice sets the examples).")
  Path apps;

  @Option(names = "--state", paramLabel = "DIR", defaultValue = "${env:SLUICE_STATE:-${sys:user.home}/.sluice}",
      description = "Folder for deployed apps, replicas' files and logs, secrets (default: ${DEFAULT-VALUE}).")
  Path state;

  @Option(names = "--config", paramLabel = "FILE",
      description = "The node's sluice.toml with its [[pools]] of GPU nodes (default: one CPU pool, no GPUs).")
  Path config;

  @Option(names = "--policy", defaultValue = "sluice",
      description = "Scaling policy: sluice or knative (Knative's KPA) (default: ${DEFAULT-VALUE}).")
  String policy;

  @Option(names = "--scale-to-zero-grace", defaultValue = "PT30S",
      description = "How long an idle app keeps its last replica, ISO-8601 (default: ${DEFAULT-VALUE}).")
  Duration scaleToZeroGrace;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    NodeOptions options = NodeOptions.defaults(state.toAbsolutePath()).toBuilder()
        .publicAddress(host, port)
        .adminAddress(adminHost, adminPort)
        .appsDir(apps == null ? null : apps.toAbsolutePath())
        .scaling(new ScalingOptions(policy, ScalingOptions.defaults().tick(), scaleToZeroGrace))
        .pools(config == null ? NodeConfigReader.defaultPools() : NodeConfigReader.read(config))
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
    long stopSeconds = options.drainTimeout().plus(options.replicaStopGrace()).toSeconds() + 10;
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      node.stopBlocking(stopSeconds, TimeUnit.SECONDS);
      stopped.countDown();
    }, "sluice-shutdown"));
    out.printf("Sluice is up: apps at %s/v4/{project}/{app}/..., admin API at http://%s:%d%n",
        node.publicBaseUrl(), adminHost, node.adminPort());
    node.deployer().apps().forEach(app -> out.printf("  %s  %s/v4/%s/%n", app.spec().id(), node.publicBaseUrl(),
        app.spec().id().key()));
    out.println("Stop with Ctrl-C: in-flight requests finish, then replicas stop.");
    out.flush();
    stopped.await();
    return 0;
  }
}

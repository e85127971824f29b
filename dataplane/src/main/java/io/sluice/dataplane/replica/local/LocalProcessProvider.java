package io.sluice.dataplane.replica.local;

import io.sluice.autoscaler.replica.Endpoint;
import io.sluice.autoscaler.replica.ReplicaFailure;
import io.sluice.autoscaler.replica.ReplicaId;
import io.sluice.autoscaler.replica.ReplicaListener;
import io.sluice.autoscaler.replica.ReplicaProvider;
import io.sluice.autoscaler.replica.ReplicaState;
import io.sluice.autoscaler.replica.ReplicaStatus;
import io.sluice.config.AppId;
import io.sluice.config.AppSpec;
import io.sluice.dataplane.apps.AppFiles;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs replicas as processes on this machine (the embedded default).
 *
 * <p>Each replica runs the app's command in its own copy of the app's files, on a port of its own (see
 * {@link LaunchCommand}), with its secrets as owner-only files. The node reads its stdout and stderr itself, so that
 * each line is stamped, written to the replica's rotated log and handed to followers as it comes
 * ({@link ReplicaLogs}); the node's own notes (starts, exits, restarts) go to the same log. It is probed for
 * readiness often until it is first ready, then every period for readiness and liveness; it is restarted with a
 * back-off when it dies or fails its liveness probe, and reported FAILED when it never got ready in
 * {@code maxFailedStarts} starts.
 *
 * <p>All replica state lives on one Vert.x context, the one it is made with (a node's control loop, off the loops
 * that carry requests), so it needs no locks; spawning, copying and killing run on worker threads, never on the
 * event loop.
 */
public final class LocalProcessProvider implements ReplicaProvider {

  private static final Logger log = LoggerFactory.getLogger(LocalProcessProvider.class);
  private static final String HOST = "127.0.0.1";
  private static final Duration KILL_WAIT = Duration.ofSeconds(5);

  private final Vertx vertx;
  private final Context context;
  private final ReplicaFolders folders;
  private final Function<AppId, Path> appFiles;
  private final SecretSource secrets;
  private final Function<AppId, Map<String, String>> platformEnv;
  private final ReplicaListener listener;
  private final ProbeTimings timings;
  private final InstantSource clock;
  private final boolean mountSecrets;
  private final ReplicaProbe probe;
  private final ReplicaLogs logs;
  private final Map<ReplicaId, LocalReplica> replicas = new HashMap<>();
  /** The replicas in {@link #replicas}, readable off the context: their folders are not pruned. */
  private final Set<String> present = ConcurrentHashMap.newKeySet();
  private final Map<ReplicaId, Process> liveProcesses = new ConcurrentHashMap<>();

  private LocalProcessProvider(
      Vertx vertx,
      Context context,
      ReplicaFolders folders,
      Function<AppId, Path> appFiles,
      SecretSource secrets,
      Function<AppId, Map<String, String>> platformEnv,
      ReplicaListener listener,
      ProbeTimings timings,
      InstantSource clock,
      boolean mountSecrets,
      ReplicaLogs logs) {
    this.vertx = vertx;
    this.logs = logs;
    this.platformEnv = platformEnv;
    this.context = context;
    this.folders = folders;
    this.appFiles = appFiles;
    this.secrets = secrets;
    this.listener = listener;
    this.timings = timings;
    this.clock = clock;
    this.mountSecrets = mountSecrets;
    this.probe = new ReplicaProbe(context, timings.timeout().toMillis());
  }

  /**
   * Makes a provider once the machine has been checked: kills replica processes a dead node left behind, and finds
   * out whether private mount namespaces are available for {@code /secrets}.
   *
   * @param context where the replicas' state lives and their probes run
   * @param platformEnv what Sluice tells every replica of an app besides its own env (the node's URL, the app's
   *     token for calling other apps of its project)
   */
  public static Future<LocalProcessProvider> create(
      Vertx vertx,
      Context context,
      Path stateDir,
      Function<AppId, Path> appFiles,
      SecretSource secrets,
      Function<AppId, Map<String, String>> platformEnv,
      ReplicaListener listener,
      ProbeTimings timings,
      InstantSource clock,
      boolean tryMountNamespaces,
      ReplicaLogLimits logLimits) {
    ReplicaFolders folders = ReplicaFolders.under(stateDir);
    ReplicaLogs logs = new ReplicaLogs(folders, logLimits, clock);
    return vertx.<Boolean>executeBlocking(() -> {
      OrphanReaper.reap(folders);
      logs.pruneAllGone();
      return tryMountNamespaces && SecretsMount.available();
    }).map(mount -> new LocalProcessProvider(
        vertx, context, folders, appFiles, secrets, platformEnv, listener, timings, clock, mount, logs));
  }

  public ReplicaFolders folders() {
    return folders;
  }

  /** The replicas' logs: their last lines, gone replicas' included, and the live lines. */
  public ReplicaLogs logs() {
    return logs;
  }

  /** Whether replicas see their secrets at {@code /secrets} (else through {@code SLUICE_SECRETS_DIR}). */
  public boolean mountsSecrets() {
    return mountSecrets;
  }

  @Override
  public void start(ReplicaId id, AppSpec app) {
    context.runOnContext(v -> {
      if (replicas.containsKey(id)) {
        throw new IllegalStateException("replica " + id + " is already running");
      }
      LocalReplica replica = new LocalReplica(id, app);
      replicas.put(id, replica);
      present.add(id.name());
      replica.launch();
    });
  }

  @Override
  public CompletionStage<Void> stop(ReplicaId id, Duration grace) {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      LocalReplica replica = replicas.get(id);
      if (replica == null) {
        done.complete();
      } else {
        replica.stop(grace).onComplete(done);
      }
    });
    return done.future().toCompletionStage();
  }

  @Override
  public CompletionStage<Void> stopAll(Duration grace) {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      List<Future<Void>> stops = new ArrayList<>();
      for (LocalReplica replica : List.copyOf(replicas.values())) {
        stops.add(replica.stop(grace));
      }
      Future.join(stops).<Void>mapEmpty().onComplete(done);
    });
    return done.future().toCompletionStage();
  }

  /** Last resort for a JVM that is going down: kills every replica process now. Blocking. */
  public void killAllNow() {
    for (Process process : liveProcesses.values()) {
      ProcessTree.terminate(process.toHandle(), true);
    }
  }

  private final class LocalReplica {
    private final ReplicaId id;
    private final AppSpec app;
    private final ReplicaOutput output;
    private ReplicaStatus status;
    private Process process;
    private int port;
    private int generation;
    private boolean readyThisStart;
    private boolean everReady;
    private Instant readySince;
    private Instant startupDeadline;
    private int failedStarts;
    private int restartsInARow;
    private int livenessFailuresInRow;
    private ReplicaFailure lastFailure;
    private long probeTimer = -1;
    private Promise<Void> stopped;
    /** The spawn in flight, if any: a stop waits for it, so that a process started during the stop is not left. */
    private Future<Spawned> spawning;

    LocalReplica(ReplicaId id, AppSpec app) {
      this.id = id;
      this.app = app;
      this.output = logs.output(id).hold();
      this.status = new ReplicaStatus(id, ReplicaState.STARTING, Optional.empty(), 0, "starting", clock.instant());
    }

    void launch() {
      int launching = ++generation;
      readyThisStart = false;
      livenessFailuresInRow = 0;
      // Not noted in the log: the spawn notes the start with its number, port and command.
      emit(ReplicaState.STARTING, status.restarts() == 0 ? "starting" : "starting again", false);
      int start = status.restarts() + 1;
      spawning = vertx.executeBlocking(() -> spawn(launching, start), false);
      spawning.onComplete(spawned -> {
        if (stopped != null) {
          return; // the stop terminates what this spawn started
        }
        if (spawned.succeeded() && launching != generation) {
          killQuietly(spawned.result().process());
          return;
        }
        if (launching != generation) {
          return;
        }
        if (spawned.failed()) {
          failed(ReplicaFailure.START_ERROR, "could not start: " + spawned.cause().getMessage());
          return;
        }
        process = spawned.result().process();
        port = spawned.result().port();
        liveProcesses.put(id, process);
        status = new ReplicaStatus(id, status.state(), Optional.of(new Endpoint(HOST, port)), status.restarts(),
            status.detail(), status.since());
        emit(ReplicaState.STARTING, "started (pid " + process.pid() + "), waiting to be ready");
        Process watched = process;
        watched.onExit().thenAccept(p -> context.runOnContext(v -> exited(launching, p.exitValue())));
        startupDeadline = clock.instant().plus(timings.startupTimeout());
        probeAfter(launching, timings.startupInterval());
      });
    }

    private Spawned spawn(int launching, int start) throws IOException {
      Path workDir = folders.workDir(id);
      if (launching == 1) {
        AppFiles.copyFolder(appFiles.apply(id.app()), workDir);
      }
      Path secretsDir = writeSecrets();
      int configured = app.runtime().port();
      int candidate = freePort();
      LaunchCommand command = LaunchCommand.of(app.runtime().command(), configured, candidate, mountSecrets);
      int replicaPort = command.rewrote() || !portFree(configured) ? candidate : configured;
      ProcessBuilder builder = new ProcessBuilder(command.argv())
          .directory(workDir.toFile());
      Map<String, String> env = builder.environment();
      env.keySet().removeIf(name -> name.startsWith("SLUICE_"));
      env.putAll(app.env());
      env.put("PORT", Integer.toString(replicaPort));
      env.put("SLUICE_PROJECT", id.app().project());
      env.put("SLUICE_APP", id.app().name());
      env.put("SLUICE_REPLICA", id.name());
      env.put("SLUICE_SECRETS_DIR", secretsDir.toString());
      env.putAll(platformEnv.apply(id.app()));
      output.note(clock.instant(), "start #" + start + " on port " + replicaPort + ": "
          + String.join(" ", command.argv()));
      Process started = builder.start();
      output.pump(started.getInputStream(), LogStream.STDOUT);
      output.pump(started.getErrorStream(), LogStream.STDERR);
      OrphanReaper.writePidFile(folders.pidFile(id), started.toHandle());
      return new Spawned(started, replicaPort);
    }

    private Path writeSecrets() throws IOException {
      Path dir = folders.secretsDir(id);
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
      for (Map.Entry<String, String> secret : secrets.secretsFor(app).entrySet()) {
        Path file = dir.resolve(secret.getKey());
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, secret.getValue());
      }
      return dir;
    }

    private void probeAfter(int probing, Duration delay) {
      probeTimer = vertx.setTimer(Math.max(1, delay.toMillis()), t -> probe(probing));
    }

    private void probe(int probing) {
      if (probing != generation || stopped != null || process == null) {
        return;
      }
      if (!readyThisStart) {
        if (clock.instant().isAfter(startupDeadline)) {
          restart(ReplicaFailure.STARTUP_TIMEOUT, "not ready within " + timings.startupTimeout().toSeconds() + " s");
          return;
        }
        probe.check(port, app.runtime().readyPath()).onComplete(ready -> {
          if (probing != generation || stopped != null) {
            return;
          }
          if (ready.result()) {
            readyThisStart = true;
            everReady = true;
            failedStarts = 0;
            readySince = clock.instant();
            emit(ReplicaState.READY, "ready");
          }
          probeAfter(probing, readyThisStart ? timings.period() : timings.startupInterval());
        });
        return;
      }
      Future<Boolean> ready = probe.check(port, app.runtime().readyPath());
      Future<Boolean> live = probe.check(port, app.runtime().healthPath());
      Future.join(ready, live).onComplete(both -> {
        if (probing != generation || stopped != null) {
          return;
        }
        if (!live.result()) {
          livenessFailuresInRow++;
          if (livenessFailuresInRow >= timings.livenessFailures()) {
            restart(ReplicaFailure.LIVENESS_FAILED, "failed " + livenessFailuresInRow + " liveness probes in a row");
            return;
          }
        } else {
          livenessFailuresInRow = 0;
        }
        if (ready.result() && status.state() != ReplicaState.READY) {
          readySince = clock.instant();
          emit(ReplicaState.READY, "ready again");
        } else if (!ready.result() && status.state() == ReplicaState.READY) {
          emit(ReplicaState.NOT_READY, "readiness probe failed");
        }
        probeAfter(probing, timings.period());
      });
    }

    private void exited(int running, int exitCode) {
      if (running != generation || stopped != null) {
        return;
      }
      liveProcesses.remove(id);
      process = null;
      failed(readyThisStart ? ReplicaFailure.CRASHED : ReplicaFailure.EXITED_BEFORE_READY,
          "exited with code " + exitCode);
    }

    /** Kills a live but unhealthy process, then treats it as a failure. */
    private void restart(ReplicaFailure failure, String reason) {
      Process unhealthy = process;
      generation++;
      process = null;
      if (unhealthy != null) {
        liveProcesses.remove(id);
        killQuietly(unhealthy);
      }
      failed(failure, reason);
    }

    private void failed(ReplicaFailure failure, String reason) {
      vertx.cancelTimer(probeTimer);
      lastFailure = failure;
      if (!everReady && ++failedStarts >= timings.maxFailedStarts()) {
        emit(ReplicaState.FAILED, reason + "; gave up after " + failedStarts + " starts that never became ready");
        gone();
        return;
      }
      if (readySince != null && Duration.between(readySince, clock.instant()).compareTo(
          timings.backoff().resetAfter()) >= 0) {
        restartsInARow = 0;
      }
      Duration delay = timings.backoff().delayBefore(++restartsInARow);
      status = new ReplicaStatus(id, status.state(), status.endpoint(), status.restarts() + 1, status.detail(),
          status.since());
      emit(ReplicaState.RESTARTING, reason + "; starting again in " + delay.toMillis() + " ms");
      int waiting = generation;
      vertx.setTimer(Math.max(1, delay.toMillis()), t -> {
        if (waiting == generation && stopped == null) {
          launch();
        }
      });
    }

    Future<Void> stop(Duration grace) {
      if (stopped != null) {
        return stopped.future();
      }
      stopped = Promise.promise();
      vertx.cancelTimer(probeTimer);
      emit(ReplicaState.STOPPING, "stopping");
      Process running = process;
      process = null;
      Future<Void> gone;
      if (running != null) {
        gone = terminateOffLoop(running, grace);
      } else if (spawning != null && !spawning.isComplete()) {
        // A node stopped while this replica is being spawned must not leave the process behind: wait for the
        // spawn and stop what it started.
        gone = spawning.transform(spawned -> spawned.succeeded()
            ? terminateOffLoop(spawned.result().process(), grace)
            : Future.succeededFuture());
      } else {
        gone = Future.succeededFuture();
      }
      gone.onComplete(v -> {
        liveProcesses.remove(id);
        emit(ReplicaState.STOPPED, "stopped");
        vertx.executeBlocking(() -> Files.deleteIfExists(folders.pidFile(id)), false);
        gone();
        stopped.complete();
      });
      return stopped.future();
    }

    private Future<Void> terminateOffLoop(Process victim, Duration grace) {
      return vertx.executeBlocking(() -> {
        terminate(victim, grace);
        return null;
      }, false);
    }

    private void emit(ReplicaState state, String detail) {
      emit(state, detail, true);
    }

    private void emit(ReplicaState state, String detail, boolean noted) {
      status = new ReplicaStatus(id, state, status.endpoint(), status.restarts(), detail, clock.instant(),
          state == ReplicaState.RESTARTING || state == ReplicaState.FAILED
              ? Optional.ofNullable(lastFailure) : Optional.empty());
      log.info("replica {} {}: {}", id, state, detail);
      if (noted) {
        noteInLog(status.since(), state.name().toLowerCase(Locale.ROOT) + ": " + detail);
      }
      listener.onStatus(status);
    }

    /** Written off the loop, in order: why the replica restarted stays beside what it printed before. */
    private void noteInLog(Instant when, String text) {
      vertx.executeBlocking(() -> {
        output.note(when, text);
        return null;
      }, true);
    }

    /** The replica will not run again: its log closes once its last lines are read, and old gone replicas go. */
    private void gone() {
      replicas.remove(id);
      vertx.executeBlocking(() -> {
        output.release();
        present.remove(id.name());
        int pruned = logs.pruneGone(id.app(), present::contains);
        if (pruned > 0) {
          log.debug("Deleted the folders of {} gone replica(s) of {}", pruned, id.app());
        }
        return null;
      }, true);
    }

    private void killQuietly(Process victim) {
      vertx.executeBlocking(() -> {
        ProcessTree.terminate(victim.toHandle(), true);
        return null;
      }, false);
    }
  }

  private record Spawned(Process process, int port) {}

  /** Polite signal, up to {@code grace} to exit, then the hard kill, for the process and all it started. */
  private static void terminate(Process process, Duration grace) throws Exception {
    List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
    tree.add(0, process.toHandle());
    tree.forEach(ProcessHandle::destroy);
    CompletableFuture<?> allGone = CompletableFuture.allOf(
        tree.stream().map(ProcessHandle::onExit).toArray(CompletableFuture[]::new));
    try {
      allGone.get(Math.max(1, grace.toMillis()), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      tree.forEach(ProcessHandle::destroyForcibly);
      try {
        allGone.get(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException stuck) {
        log.warn("Process {} did not exit after SIGKILL", process.pid());
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      return socket.getLocalPort();
    }
  }

  private static boolean portFree(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName("0.0.0.0"))) {
      return true;
    } catch (IOException inUse) {
      return false;
    }
  }
}

package io.sluice.dataplane.replica.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kills replica processes left behind by a node that died without stopping them (kill -9), found through the pid
 * files in the state folder. A pid is trusted only if the process with it started when the file says, so a recycled
 * pid is never killed.
 */
final class OrphanReaper {

  private static final Logger log = LoggerFactory.getLogger(OrphanReaper.class);

  private OrphanReaper() {}

  static void writePidFile(Path pidFile, ProcessHandle process) throws IOException {
    Instant started = process.info().startInstant().orElse(Instant.EPOCH);
    Files.writeString(pidFile, process.pid() + " " + started.toEpochMilli() + "\n");
  }

  /** Blocking: call off the event loop. Returns how many processes it killed. */
  static int reap(ReplicaFolders folders) {
    if (!Files.isDirectory(folders.root())) {
      return 0;
    }
    int killed = 0;
    try (Stream<Path> files = Files.find(folders.root(), 4, (p, a) -> p.endsWith("replica.pid"))) {
      for (Path pidFile : files.toList()) {
        Optional<ProcessHandle> orphan = liveProcessOf(pidFile);
        if (orphan.isPresent()) {
          log.warn("Killing replica process {} left behind by an earlier node ({})", orphan.get().pid(), pidFile);
          ProcessTree.terminate(orphan.get(), true);
          killed++;
        }
        Files.deleteIfExists(pidFile);
      }
    } catch (IOException e) {
      log.warn("Could not look for left-behind replica processes under {}: {}", folders.root(), e.toString());
    }
    return killed;
  }

  private static Optional<ProcessHandle> liveProcessOf(Path pidFile) throws IOException {
    List<String> parts = List.of(Files.readString(pidFile).trim().split("\\s+"));
    if (parts.size() != 2) {
      return Optional.empty();
    }
    try {
      long pid = Long.parseLong(parts.get(0));
      long startedMillis = Long.parseLong(parts.get(1));
      return ProcessHandle.of(pid)
          .filter(ProcessHandle::isAlive)
          .filter(p -> p.info().startInstant()
              .map(s -> Math.abs(s.toEpochMilli() - startedMillis) < 1000)
              .orElse(false));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}

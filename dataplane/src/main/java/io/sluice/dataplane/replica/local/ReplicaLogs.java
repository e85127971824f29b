package io.sluice.dataplane.replica.local;

import io.sluice.autoscaler.replica.ReplicaId;
import io.sluice.config.AppId;
import io.sluice.dataplane.apps.AppFiles;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replicas' logs on this node: where each replica's output is written ({@link #output}), the live lines for
 * followers ({@link #followers()}), the last lines of each replica including those that are gone, so that a crash
 * stays explainable ({@link #tails}), and the bound on what gone replicas leave on disk ({@link #pruneGone}).
 * Reading and pruning block: call them off the event loop.
 */
public final class ReplicaLogs {

  private static final Logger log = LoggerFactory.getLogger(ReplicaLogs.class);
  private static final int MAX_TAIL_BYTES = 256 * 1024;

  private final ReplicaFolders folders;
  private final ReplicaLogLimits limits;
  private final InstantSource clock;
  private final LogFollowers followers = new LogFollowers();

  public ReplicaLogs(ReplicaFolders folders, ReplicaLogLimits limits, InstantSource clock) {
    this.folders = folders;
    this.limits = limits;
    this.clock = clock;
  }

  public ReplicaLogLimits limits() {
    return limits;
  }

  /** The live lines of this node's replicas. */
  public LogFollowers followers() {
    return followers;
  }

  /** Where the replica's output goes: its log file, then its app's followers. Hold it while writing. */
  ReplicaOutput output(ReplicaId id) {
    return new ReplicaOutput(id, new ReplicaLogFile(folders.logFile(id), limits.maxFileBytes(), limits.files()),
        line -> followers.publish(id.app(), line), clock);
  }

  /**
   * The last {@code lines} lines (as stored) of each of the app's replicas here, or of the one named, oldest replica
   * first; a replica with no lines yet has an empty list.
   */
  public Map<String, List<String>> tails(AppId app, String onlyReplica, int lines) throws IOException {
    Map<String, List<String>> tails = new LinkedHashMap<>();
    for (Path replica : replicaFolders(app)) {
      String name = replica.getFileName().toString();
      if (onlyReplica == null || onlyReplica.equals(name)) {
        tails.put(name, tailOfLog(replica.resolve(folders.logFileName()), lines));
      }
    }
    return tails;
  }

  /**
   * Keeps the folders of the app's last {@link ReplicaLogLimits#goneReplicasKept()} gone replicas, without their
   * copy of the app's files and their secrets, which only a running replica needs, and deletes older ones.
   *
   * @param running whether a replica (by name) runs, or is about to: its folder is left alone
   * @return how many replicas' folders were deleted
   */
  public int pruneGone(AppId app, Predicate<String> running) throws IOException {
    List<Path> gone = new ArrayList<>(replicaFolders(app));
    gone.removeIf(folder -> running.test(folder.getFileName().toString()));
    int deleted = 0;
    for (int i = 0; i < gone.size(); i++) {
      Path folder = gone.get(i);
      // Looked at again just before deleting, in case the replica started meanwhile.
      if (running.test(folder.getFileName().toString())) {
        continue;
      }
      if (i < gone.size() - limits.goneReplicasKept()) {
        AppFiles.deleteQuietly(folder);
        deleted++;
      } else {
        AppFiles.deleteQuietly(folder.resolve(ReplicaFolders.WORK_DIR));
        AppFiles.deleteQuietly(folder.resolve(ReplicaFolders.SECRETS_DIR));
      }
    }
    return deleted;
  }

  /** {@link #pruneGone} for every app with replica folders here, none of them running: for a node starting. */
  public void pruneAllGone() {
    if (!Files.isDirectory(folders.root())) {
      return;
    }
    try (Stream<Path> projects = Files.list(folders.root())) {
      for (Path project : projects.filter(Files::isDirectory).toList()) {
        try (Stream<Path> apps = Files.list(project)) {
          for (Path appDir : apps.filter(Files::isDirectory).toList()) {
            AppId app;
            try {
              app = new AppId(project.getFileName().toString(), appDir.getFileName().toString());
            } catch (IllegalArgumentException notAnApp) {
              continue;
            }
            pruneGone(app, name -> false);
          }
        }
      }
    } catch (IOException e) {
      log.warn("Could not clear gone replicas' folders under {}: {}", folders.root(), e.toString());
    }
  }

  /** The app's replicas' folders, least recently written first. */
  private List<Path> replicaFolders(AppId app) throws IOException {
    Path appDir = folders.root().resolve(app.project()).resolve(app.name());
    if (!Files.isDirectory(appDir)) {
      return List.of();
    }
    try (Stream<Path> dirs = Files.list(appDir)) {
      return dirs.filter(Files::isDirectory)
          .map(dir -> Map.entry(dir, lastWritten(dir)))
          .sorted(Map.Entry.<Path, Long>comparingByValue().thenComparing(Map.Entry.comparingByKey()))
          .map(Map.Entry::getKey)
          .toList();
    }
  }

  private long lastWritten(Path replicaDir) {
    Path logFile = replicaDir.resolve(folders.logFileName());
    try {
      return Files.getLastModifiedTime(Files.exists(logFile) ? logFile : replicaDir).toMillis();
    } catch (IOException e) {
      return 0;
    }
  }

  /** The last lines of a log across its rotated files. */
  private List<String> tailOfLog(Path logFile, int lines) throws IOException {
    List<String> tail = new ArrayList<>();
    for (Path file : ReplicaLogFile.generations(logFile, limits.files())) {
      if (tail.size() >= lines) {
        break;
      }
      List<String> older = tail(file, lines - tail.size());
      tail.addAll(0, older);
    }
    return tail;
  }

  /** The last {@code lines} lines of one file (of its last 256 KiB at most). */
  public static List<String> tail(Path file, int lines) throws IOException {
    if (!Files.exists(file) || lines <= 0) {
      return List.of();
    }
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
      long length = raf.length();
      int size = (int) Math.min(length, MAX_TAIL_BYTES);
      byte[] bytes = new byte[size];
      raf.seek(length - size);
      raf.readFully(bytes);
      List<String> all = new ArrayList<>(Arrays.asList(new String(bytes, StandardCharsets.UTF_8).split("\n", -1)));
      if (!all.isEmpty() && all.get(all.size() - 1).isEmpty()) {
        all.remove(all.size() - 1);
      }
      if (size < length && !all.isEmpty()) {
        all.remove(0);
      }
      return List.copyOf(all.subList(Math.max(0, all.size() - lines), all.size()));
    }
  }
}

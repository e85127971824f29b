package io.sluice.dataplane.replica.local;

import io.sluice.config.AppId;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Reads replicas' log files, including those of replicas that are gone, so that a crash stays explainable. Blocking.
 */
public final class ReplicaLogs {

  private static final int MAX_TAIL_BYTES = 256 * 1024;

  private final ReplicaFolders folders;

  public ReplicaLogs(ReplicaFolders folders) {
    this.folders = folders;
  }

  /** The last {@code lines} lines of each of the app's replicas (or of the one named), oldest replica first. */
  public Map<String, List<String>> tails(AppId app, String onlyReplica, int lines) throws IOException {
    Path appDir = folders.root().resolve(app.project()).resolve(app.name());
    Map<String, List<String>> tails = new LinkedHashMap<>();
    if (!Files.isDirectory(appDir)) {
      return tails;
    }
    List<Path> replicas;
    try (Stream<Path> dirs = Files.list(appDir)) {
      replicas = dirs.filter(Files::isDirectory)
          .sorted((a, b) -> Long.compare(modified(a.resolve("replica.log")), modified(b.resolve("replica.log"))))
          .toList();
    }
    for (Path replica : replicas) {
      String name = replica.getFileName().toString();
      if (onlyReplica == null || onlyReplica.equals(name)) {
        tails.put(name, tail(replica.resolve("replica.log"), lines));
      }
    }
    return tails;
  }

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

  private static long modified(Path file) {
    try {
      return Files.getLastModifiedTime(file).toMillis();
    } catch (IOException e) {
      return 0;
    }
  }
}

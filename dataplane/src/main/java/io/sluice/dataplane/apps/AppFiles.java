package io.sluice.dataplane.apps;

import io.sluice.config.AppId;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * Deployed apps' files, kept by the node under {@code <state>/apps/}: each deploy gets a fresh folder, so a redeploy
 * never changes files under a running replica. Blocking: call off the event loop.
 */
public final class AppFiles {

  /** Bounds what an uploaded archive may unpack to, so that a zip bomb fills no disk. */
  public static final long MAX_UNPACKED_BYTES = 1L << 30;
  public static final int MAX_ENTRIES = 20_000;
  /** The largest archive an app may be, uploaded or zipped from a folder: the whole fleet keeps a copy of it. */
  public static final long MAX_ARCHIVE_BYTES = 256L << 20;
  private static final long FIXED_TIME = 315_532_800_000L;

  private final Path root;

  public AppFiles(Path stateDir) {
    this.root = stateDir.resolve("apps");
  }

  /** A new, empty folder for one upload or copy. */
  public Path newUploadFolder() throws IOException {
    Files.createDirectories(root.resolve(".uploads"));
    return Files.createTempDirectory(root.resolve(".uploads"), "upload-");
  }

  /** Moves a prepared folder into place as the files of one version of the app. */
  public Path install(AppId app, Path prepared, long generation) throws IOException {
    Path target = folderOf(app, generation);
    if (Files.isDirectory(target)) {
      deleteQuietly(prepared);
      return target;
    }
    Files.createDirectories(target.getParent());
    return Files.move(prepared, target, StandardCopyOption.ATOMIC_MOVE);
  }

  /** The files of one version of the app, if this node installed it before (folders are moved in whole). */
  public Optional<Path> installed(AppId app, long generation) {
    Path folder = folderOf(app, generation);
    return Files.isDirectory(folder) ? Optional.of(folder) : Optional.empty();
  }

  private Path folderOf(AppId app, long generation) {
    return root.resolve(app.project()).resolve(app.name()).resolve(Long.toString(generation));
  }

  /**
   * Zips a folder the same way every time: entries in name order, no timestamps. The same files give the same bytes,
   * so that their digest tells whether an app changed.
   */
  public static byte[] zip(Path folder) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    List<Path> paths;
    try (Stream<Path> walk = Files.walk(folder, FileVisitOption.FOLLOW_LINKS)) {
      paths = walk.filter(Files::isRegularFile).sorted(Comparator.comparing(p -> folder.relativize(p).toString()))
          .toList();
    }
    try (ZipOutputStream out = new ZipOutputStream(bytes)) {
      for (Path file : paths) {
        ZipEntry entry = new ZipEntry(folder.relativize(file).toString().replace('\\', '/'));
        entry.setTime(FIXED_TIME);
        out.putNextEntry(entry);
        Files.copy(file, out);
        out.closeEntry();
        if (bytes.size() > MAX_ARCHIVE_BYTES) {
          throw new IOException("the app's folder zips to more than " + (MAX_ARCHIVE_BYTES >> 20) + " MiB");
        }
      }
    }
    return bytes.toByteArray();
  }

  public static void copyFolder(Path source, Path target) throws IOException {
    try (Stream<Path> paths = Files.walk(source, FileVisitOption.FOLLOW_LINKS)) {
      paths.forEach(path -> {
        Path destination = target.resolve(source.relativize(path).toString());
        try {
          if (Files.isDirectory(path)) {
            Files.createDirectories(destination);
          } else {
            Files.copy(path, destination, StandardCopyOption.REPLACE_EXISTING);
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /**
   * Unpacks a zip into {@code target}, refusing entries that would land outside it, and archives that unpack to more
   * than {@link #MAX_UNPACKED_BYTES} or {@link #MAX_ENTRIES} entries.
   */
  public static void unzip(InputStream zip, Path target) throws IOException {
    Path base = target.toAbsolutePath().normalize();
    long total = 0;
    int entries = 0;
    try (ZipInputStream in = new ZipInputStream(zip)) {
      byte[] buffer = new byte[64 * 1024];
      for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
        if (++entries > MAX_ENTRIES) {
          throw new IOException("the archive has more than " + MAX_ENTRIES + " entries");
        }
        Path destination = base.resolve(entry.getName()).normalize();
        if (!destination.startsWith(base) || destination.equals(base)) {
          throw new IOException("the archive entry " + entry.getName() + " points outside the app's folder");
        }
        if (entry.isDirectory()) {
          Files.createDirectories(destination);
          continue;
        }
        Files.createDirectories(destination.getParent());
        try (var out = Files.newOutputStream(destination)) {
          for (int n; (n = in.read(buffer)) > 0; ) {
            total += n;
            if (total > MAX_UNPACKED_BYTES) {
              throw new IOException("the archive unpacks to more than " + (MAX_UNPACKED_BYTES >> 20) + " MiB");
            }
            out.write(buffer, 0, n);
          }
        }
      }
    }
  }

  public static void deleteQuietly(Path folder) {
    if (folder == null || !Files.exists(folder)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(folder)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // A leftover upload folder is harmless; the next deploy makes a new one.
    }
  }
}

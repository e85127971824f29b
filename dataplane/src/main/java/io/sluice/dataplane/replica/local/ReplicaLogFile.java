package io.sluice.dataplane.replica.local;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * One replica's log on disk, rotated by size: {@code replica.log} is written; when a line would take it over the
 * limit it becomes {@code replica.log.1}, {@code .1} becomes {@code .2}, and so on up to {@code files - 1}, the
 * oldest being deleted. Blocking; safe to call from several threads.
 */
final class ReplicaLogFile {

  private final Path file;
  private final long maxFileBytes;
  private final int files;
  private OutputStream out;
  private long size;

  ReplicaLogFile(Path file, long maxFileBytes, int files) {
    this.file = file;
    this.maxFileBytes = maxFileBytes;
    this.files = files;
  }

  /** Appends the lines, in one write per file they land in. */
  synchronized void write(List<LogLine> lines) throws IOException {
    ByteArrayOutputStream pending = new ByteArrayOutputStream();
    for (LogLine line : lines) {
      byte[] bytes = (line.diskLine() + "\n").getBytes(StandardCharsets.UTF_8);
      openIfClosed();
      long used = size + pending.size();
      if (used > 0 && used + bytes.length > maxFileBytes) {
        flush(pending);
        rotate();
      }
      pending.write(bytes);
    }
    flush(pending);
  }

  /** Closes the file; a later write opens it again. */
  synchronized void close() {
    if (out != null) {
      try {
        out.close();
      } catch (IOException ignored) {
        // Nothing is buffered here: every write went straight to the file.
      }
      out = null;
    }
  }

  /** The log's files, newest first: {@code replica.log}, {@code replica.log.1}, ... up to {@code files}. */
  static List<Path> generations(Path file, int files) {
    List<Path> all = new ArrayList<>(files);
    all.add(file);
    for (int i = 1; i < files; i++) {
      all.add(rotated(file, i));
    }
    return all;
  }

  private static Path rotated(Path file, int generation) {
    return file.resolveSibling(file.getFileName() + "." + generation);
  }

  private void openIfClosed() throws IOException {
    if (out == null) {
      Files.createDirectories(file.getParent());
      out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      size = Files.size(file);
    }
  }

  private void flush(ByteArrayOutputStream pending) throws IOException {
    if (pending.size() > 0) {
      openIfClosed();
      pending.writeTo(out);
      size += pending.size();
      pending.reset();
    }
  }

  private void rotate() throws IOException {
    close();
    if (files == 1) {
      Files.deleteIfExists(file);
    } else {
      Files.deleteIfExists(rotated(file, files - 1));
      for (int i = files - 2; i >= 1; i--) {
        Path older = rotated(file, i);
        if (Files.exists(older)) {
          Files.move(older, rotated(file, i + 1), StandardCopyOption.REPLACE_EXISTING);
        }
      }
      Files.move(file, rotated(file, 1), StandardCopyOption.REPLACE_EXISTING);
    }
    openIfClosed();
  }
}

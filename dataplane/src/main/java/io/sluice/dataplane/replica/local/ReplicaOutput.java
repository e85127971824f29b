package io.sluice.dataplane.replica.local;

import io.sluice.autoscaler.replica.ReplicaId;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where one replica's output goes: each line is stamped, written to the replica's rotated log file, then handed to
 * whoever follows the app, in that order and under one lock, so that followers see lines in the order of the file.
 *
 * <p>The file stays open while someone holds the output — the replica itself, and each of its processes' pipe
 * readers, which outlive the process by the moment it takes to read its last lines — and is closed when the last
 * lets go. Blocking: called from the pipe readers' threads and from worker threads, never from an event loop.
 */
final class ReplicaOutput {

  private static final Logger log = LoggerFactory.getLogger(ReplicaOutput.class);

  private final ReplicaId id;
  private final ReplicaLogFile file;
  private final Consumer<LogLine> followers;
  private final InstantSource clock;
  private int holders;
  private boolean writeFailed;

  ReplicaOutput(ReplicaId id, ReplicaLogFile file, Consumer<LogLine> followers, InstantSource clock) {
    this.id = id;
    this.file = file;
    this.followers = followers;
    this.clock = clock;
  }

  synchronized ReplicaOutput hold() {
    holders++;
    return this;
  }

  synchronized void release() {
    if (--holders <= 0) {
      holders = 0;
      file.close();
    }
  }

  /** Lines read together from one stream; they share the time they were read at. */
  synchronized void append(LogStream stream, List<String> texts) {
    List<LogLine> lines = new ArrayList<>(texts.size());
    Instant now = clock.instant();
    for (String text : texts) {
      lines.add(new LogLine(id.name(), stream, now, text));
    }
    write(lines);
  }

  /** The node's own note about the replica (a start, an exit, a restart), stamped with the time it happened. */
  synchronized void note(Instant when, String text) {
    write(List.of(new LogLine(id.name(), LogStream.SLUICE, when, text)));
  }

  /** Reads a process's stdout or stderr on a thread of its own until the pipe closes, holding the output meanwhile. */
  void pump(InputStream pipe, LogStream stream) {
    hold();
    Thread reader = new Thread(() -> {
      LineSplitter splitter = new LineSplitter();
      byte[] buffer = new byte[8192];
      try (pipe) {
        int read;
        while ((read = pipe.read(buffer)) >= 0) {
          List<String> lines = splitter.feed(buffer, read);
          if (!lines.isEmpty()) {
            append(stream, lines);
          }
        }
      } catch (IOException closed) {
        // The pipe went away with the process; what was read is written below.
      } finally {
        List<String> rest = splitter.finish();
        if (!rest.isEmpty()) {
          append(stream, rest);
        }
        release();
      }
    }, "replica-" + stream.label() + "-" + id.name());
    reader.setDaemon(true);
    reader.start();
  }

  private void write(List<LogLine> lines) {
    try {
      file.write(lines);
      writeFailed = false;
    } catch (IOException e) {
      if (!writeFailed) {
        log.warn("Could not write the log of replica {}: {}; its lines still reach followers", id, e.toString());
        writeFailed = true;
      }
    }
    for (LogLine line : lines) {
      followers.accept(line);
    }
    if (holders == 0) {
      file.close();
    }
  }
}

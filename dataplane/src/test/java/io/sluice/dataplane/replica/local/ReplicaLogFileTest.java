package io.sluice.dataplane.replica.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.AppId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplicaLogFileTest {

  private static final long LIMIT = ReplicaLogLimits.MIN_FILE_BYTES;

  @TempDir
  Path state;

  private static List<LogLine> lines(int from, int count) {
    List<LogLine> lines = new ArrayList<>();
    for (int i = from; i < from + count; i++) {
      lines.add(new LogLine("hello-abcde", LogStream.STDOUT, Instant.EPOCH.plusMillis(i), "line " + i + " " + "x".repeat(70)));
    }
    return lines;
  }

  @Test
  void rotation_keeps_each_replica_within_its_files_whatever_it_prints() throws Exception {
    ReplicaFolders folders = ReplicaFolders.under(state);
    Path log = folders.root().resolve("local/hello/hello-abcde/replica.log");
    ReplicaLogFile file = new ReplicaLogFile(log, LIMIT, 3);

    for (int batch = 0; batch < 100; batch++) {
      file.write(lines(batch * 100, 100)); // ~10 KiB a batch, 1 MiB in all: 16 times the bound
    }
    file.close();

    List<Path> files;
    try (Stream<Path> listed = Files.list(log.getParent())) {
      files = listed.sorted().toList();
    }
    assertThat(files).extracting(p -> p.getFileName().toString())
        .containsExactly("replica.log", "replica.log.1", "replica.log.2");
    for (Path each : files) {
      assertThat(Files.size(each)).isLessThanOrEqualTo(LIMIT);
    }
    assertThat(Files.size(files.get(1))).isGreaterThan(LIMIT - 200);
    assertThat(Files.readString(log)).endsWith(lines(9999, 1).get(0).diskLine() + "\n");
  }

  @Test
  void the_last_lines_are_read_across_the_rotated_files_in_order() throws Exception {
    ReplicaFolders folders = ReplicaFolders.under(state);
    Path log = folders.root().resolve("local/hello/hello-abcde/replica.log");
    ReplicaLogFile file = new ReplicaLogFile(log, LIMIT, 3);
    file.write(lines(0, 2000));
    file.close();
    long inNewest = Files.readAllLines(log).size();
    ReplicaLogs logs = new ReplicaLogs(folders, new ReplicaLogLimits(LIMIT, 3, 10), Instant::now);

    List<String> tail = logs.tails(new AppId("local", "hello"), null, (int) inNewest + 5).get("hello-abcde");

    assertThat(tail).hasSize((int) inNewest + 5);
    assertThat(tail).containsExactlyElementsOf(lines(2000 - tail.size(), tail.size()).stream()
        .map(LogLine::diskLine).toList());
  }

  @Test
  void a_single_file_starts_again_empty_when_full() throws Exception {
    Path log = state.resolve("replica.log");
    ReplicaLogFile file = new ReplicaLogFile(log, LIMIT, 1);

    file.write(lines(0, 2000));
    file.close();

    try (Stream<Path> listed = Files.list(state)) {
      assertThat(listed.toList()).containsExactly(log);
    }
    assertThat(Files.size(log)).isLessThanOrEqualTo(LIMIT);
  }
}

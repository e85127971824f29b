package io.sluice.dataplane.replica.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.autoscaler.replica.ReplicaId;
import io.sluice.config.AppId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReplicaLogsTest {

  private static final AppId APP = new AppId("local", "hello");

  @TempDir
  Path state;

  private Path replica(ReplicaFolders folders, String name, int minutesAgo) throws Exception {
    ReplicaId id = new ReplicaId(APP, name);
    Files.createDirectories(folders.workDir(id));
    Files.createDirectories(folders.secretsDir(id));
    Files.writeString(folders.workDir(id).resolve("main.py"), "print('hi')");
    Files.writeString(folders.logFile(id), "2025-01-31T09:15:02.120Z stdout hi\n");
    Files.setLastModifiedTime(folders.logFile(id), FileTime.from(Instant.now().minusSeconds(60L * minutesAgo)));
    return folders.of(id);
  }

  @Test
  void only_the_last_gone_replicas_of_an_app_keep_their_logs_and_none_keeps_its_files_or_secrets() throws Exception {
    ReplicaFolders folders = ReplicaFolders.under(state);
    for (int i = 1; i <= 6; i++) {
      replica(folders, "hello-r" + i, 60 - i); // r6 went last
    }
    ReplicaLogs logs = new ReplicaLogs(folders, new ReplicaLogLimits(ReplicaLogLimits.MIN_FILE_BYTES, 3, 2),
        Instant::now);

    int deleted = logs.pruneGone(APP, Set.of("hello-r1")::contains); // r1 runs still

    assertThat(deleted).isEqualTo(3);
    try (Stream<Path> left = Files.list(folders.root().resolve("local/hello"))) {
      assertThat(left.map(p -> p.getFileName().toString()).sorted())
          .containsExactly("hello-r1", "hello-r5", "hello-r6");
    }
    ReplicaId kept = new ReplicaId(APP, "hello-r6");
    assertThat(folders.logFile(kept)).exists();
    assertThat(folders.workDir(kept)).doesNotExist();
    assertThat(folders.secretsDir(kept)).doesNotExist();
    assertThat(folders.workDir(new ReplicaId(APP, "hello-r1"))).exists();
    assertThat(logs.tails(APP, null, 10).keySet()).containsExactly("hello-r1", "hello-r5", "hello-r6");
  }
}

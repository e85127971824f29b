package io.sluice.dataplane.replica.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FollowerBufferTest {

  private static LogLine line(String replica, int i) {
    return new LogLine(replica, LogStream.STDOUT, Instant.EPOCH.plusMillis(i), "line " + i);
  }

  private static List<FollowerBuffer.Entry> drain(FollowerBuffer buffer) {
    List<FollowerBuffer.Entry> taken = new ArrayList<>();
    for (FollowerBuffer.Entry entry = buffer.poll(); entry != null; entry = buffer.poll()) {
      taken.add(entry);
    }
    return taken;
  }

  @Test
  void a_follower_that_does_not_keep_up_loses_lines_beyond_its_bound_and_is_told_how_many_and_where() {
    long cost = FollowerBuffer.LINE_OVERHEAD_BYTES + 2L * "line 0".length();
    FollowerBuffer buffer = new FollowerBuffer(cost * 10);

    for (int i = 0; i < 25; i++) {
      buffer.offer(line("r", i));
    }
    assertThat(buffer.bytes()).isLessThanOrEqualTo(cost * 10);
    List<FollowerBuffer.Entry> first = drain(buffer);
    buffer.offer(line("r", 25));
    List<FollowerBuffer.Entry> then = drain(buffer);

    assertThat(first).hasSize(10).allSatisfy(entry -> assertThat(entry.droppedBefore()).isZero());
    assertThat(then).singleElement().satisfies(entry -> {
      assertThat(entry.line()).isEqualTo(line("r", 25));
      assertThat(entry.droppedBefore()).isEqualTo(15);
    });
    assertThat(buffer.bytes()).isZero();
  }

  @Test
  void lines_dropped_with_none_after_them_are_told_when_the_queue_runs_dry() {
    FollowerBuffer buffer = new FollowerBuffer(1);

    buffer.offer(line("r", 0));
    buffer.offer(line("r", 1));

    assertThat(buffer.poll()).isNull();
    assertThat(buffer.takeDropped()).isEqualTo(2);
    assertThat(buffer.takeDropped()).isZero();
  }

  @Test
  void lines_the_follower_already_read_from_disk_are_not_sent_twice() {
    FollowerBuffer buffer = new FollowerBuffer(1 << 20);
    for (int i = 0; i < 5; i++) {
      buffer.offer(line("a", i));
      buffer.offer(line("b", i));
    }

    // The tail read from disk ended at a's line 2; b's tail ended before anything was queued.
    buffer.dropAlreadySent(Map.of("a", line("a", 2), "b", line("b", -1)));

    assertThat(drain(buffer)).extracting(FollowerBuffer.Entry::line).containsExactly(
        line("b", 0), line("b", 1), line("b", 2), line("a", 3), line("b", 3), line("a", 4), line("b", 4));
  }
}

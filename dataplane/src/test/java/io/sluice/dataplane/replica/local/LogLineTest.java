package io.sluice.dataplane.replica.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LogLineTest {

  @Test
  void a_line_is_stored_with_a_fixed_width_utc_time_to_the_millisecond_and_its_stream() {
    LogLine line = new LogLine("hello-abcde", LogStream.STDERR, Instant.parse("2025-01-31T09:15:02Z"), "boom");

    assertThat(line.diskLine()).isEqualTo("2025-01-31T09:15:02.000Z stderr boom");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"1970-01-01T00:00:00Z", "2025-01-31T09:15:02.120999Z", "2024-02-29T23:59:59.999Z",
      "0999-12-31T00:00:00.001Z", "9999-12-31T23:59:59.5Z"})
  void times_are_written_as_a_formatter_would_but_always_to_the_millisecond(String instant) {
    Instant time = Instant.parse(instant);

    assertThat(LogLine.format(time)).hasSize(24).isEqualTo(
        DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC).format(time));
  }

  @Test
  void a_stored_line_reads_back_as_the_line_that_was_written() {
    LogLine written = new LogLine("hello-abcde", LogStream.STDOUT, Instant.parse("2025-01-31T09:15:02.123456789Z"),
        "GET /predict  with two  spaces ");

    LogLine read = LogLine.parse("hello-abcde", written.diskLine());

    assertThat(read).isEqualTo(written);
    assertThat(read.time()).isEqualTo(Instant.parse("2025-01-31T09:15:02.123Z"));
    assertThat(LogLine.parse("r", new LogLine("r", LogStream.SLUICE, Instant.EPOCH, "").diskLine()).text()).isEmpty();
  }

  @Test
  void a_line_from_before_lines_were_stamped_is_kept_whole_without_a_time() {
    LogLine old = LogLine.parse("hello-abcde", "--- sluice: 2025-01-31T09:15:02.120Z start #1 on port 5000");

    assertThat(old.stream()).isEqualTo(LogStream.OUTPUT);
    assertThat(old.time()).isNull();
    assertThat(old.text()).isEqualTo("--- sluice: 2025-01-31T09:15:02.120Z start #1 on port 5000");
    assertThat(old.json().getValue("time")).isNull();
  }

  @Test
  void a_line_break_inside_a_note_does_not_make_two_lines() {
    assertThat(new LogLine("r", LogStream.SLUICE, Instant.EPOCH, "a\nb").text()).isEqualTo("a b");
  }

  @Test
  void its_event_says_replica_stream_time_and_text() {
    LogLine line = new LogLine("hello-abcde", LogStream.STDOUT, Instant.parse("2025-01-31T09:15:02.120Z"), "hi");

    assertThat(line.json().encode()).isEqualTo(
        "{\"replica\":\"hello-abcde\",\"stream\":\"stdout\",\"time\":\"2025-01-31T09:15:02.120Z\",\"text\":\"hi\"}");
  }
}

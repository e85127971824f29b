package io.sluice.dataplane.replica.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineSplitterTest {

  private final LineSplitter splitter = new LineSplitter();

  private List<String> feed(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    return splitter.feed(bytes, bytes.length);
  }

  @Test
  void lines_end_at_line_feeds_and_a_carriage_return_before_one_is_dropped() {
    assertThat(feed("one\r\ntwo\n\nthr")).containsExactly("one", "two", "");
    assertThat(feed("ee\n")).containsExactly("three");
  }

  @Test
  void what_is_left_when_the_stream_ends_is_a_last_line() {
    feed("done\nTraceback (most recent call last)");

    assertThat(splitter.finish()).containsExactly("Traceback (most recent call last)");
    assertThat(splitter.finish()).isEmpty();
  }

  @Test
  void a_line_without_a_break_is_cut_at_the_limit_between_characters() {
    // 'é' is two bytes: with one ASCII byte first, a character straddles every even limit.
    String endless = "a" + "é".repeat(LineSplitter.MAX_LINE_BYTES);

    List<String> lines = new ArrayList<>(feed(endless));
    lines.addAll(splitter.finish());

    assertThat(lines).hasSizeGreaterThan(1);
    assertThat(lines).allSatisfy(line -> {
      assertThat(line.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(LineSplitter.MAX_LINE_BYTES);
      assertThat(line).doesNotContain("\uFFFD");
    });
    assertThat(String.join("", lines)).isEqualTo(endless);
  }
}

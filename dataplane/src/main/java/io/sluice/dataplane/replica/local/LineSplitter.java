package io.sluice.dataplane.replica.local;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a byte stream into lines: at {@code \n} (a {@code \r} before it is dropped), and every {@link #MAX_LINE_BYTES}
 * of a line that has none, between two UTF-8 characters, so that a process printing without line breaks (a progress
 * bar, a binary blob) makes several lines rather than an unbounded one. Not thread-safe: one per stream.
 */
final class LineSplitter {

  static final int MAX_LINE_BYTES = 16 * 1024;

  private final byte[] line = new byte[MAX_LINE_BYTES];
  private int length;

  /** The lines the bytes completed. */
  List<String> feed(byte[] bytes, int count) {
    List<String> lines = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      byte b = bytes[i];
      if (b == '\n') {
        lines.add(text(length > 0 && line[length - 1] == '\r' ? length - 1 : length));
        length = 0;
        continue;
      }
      if (length == MAX_LINE_BYTES) {
        int cut = cutBefore(b);
        lines.add(text(cut));
        System.arraycopy(line, cut, line, 0, length - cut);
        length -= cut;
      }
      line[length++] = b;
    }
    return lines;
  }

  /** What is left when the stream ends: a last line without a line break, if any. */
  List<String> finish() {
    List<String> rest = length == 0 ? List.of() : List.of(text(length));
    length = 0;
    return rest;
  }

  /** Where to cut a full line so that no UTF-8 character is split: before the character {@code next} continues. */
  private int cutBefore(byte next) {
    if (!continuation(next)) {
      return length;
    }
    for (int i = length - 1; i >= Math.max(0, length - 3); i--) {
      if (!continuation(line[i])) {
        return i == 0 ? length : i;
      }
    }
    return length;
  }

  private static boolean continuation(byte b) {
    return (b & 0xC0) == 0x80;
  }

  private String text(int count) {
    return new String(line, 0, count, StandardCharsets.UTF_8);
  }
}

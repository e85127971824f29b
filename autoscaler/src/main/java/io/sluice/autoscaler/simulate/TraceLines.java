package io.sluice.autoscaler.simulate;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a trace file a line at a time, counting lines for messages. Blank lines are skipped; lines starting with
 * {@code #} are comments, kept so that what a file says about itself ("a format fixture, not data") reaches the output.
 */
final class TraceLines implements AutoCloseable {

  private final Path file;
  private final BufferedReader reader;
  private final List<String> comments = new ArrayList<>();
  private long lineNumber;

  TraceLines(Path file) throws IOException {
    this.file = file;
    this.reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
  }

  /** The next line that is neither blank nor a comment, without its line break; null at the end. */
  String next() throws IOException {
    String line;
    while ((line = reader.readLine()) != null) {
      lineNumber++;
      if (lineNumber == 1 && !line.isEmpty() && line.charAt(0) == '\uFEFF') {
        line = line.substring(1);
      }
      String trimmed = line.strip();
      if (trimmed.isEmpty()) {
        continue;
      }
      if (trimmed.charAt(0) == '#') {
        comments.add(trimmed.substring(1).strip());
        continue;
      }
      return line;
    }
    return null;
  }

  /** The header: the first line that is neither blank nor a comment. */
  String header() throws IOException {
    String header = next();
    if (header == null) {
      throw TraceException.at(file, lineNumber, "empty file", "a header line, then one line per request");
    }
    return header;
  }

  long lineNumber() {
    return lineNumber;
  }

  Path file() {
    return file;
  }

  /** The comment lines read so far, without their {@code #}. */
  List<String> comments() {
    return List.copyOf(comments);
  }

  TraceException problem(String what, String expected) {
    return TraceException.at(file, lineNumber, what, expected);
  }

  /** Splits a CSV line with no quoting (none of the supported formats quotes). */
  static String[] fields(String line) {
    return line.split(",", -1);
  }

  @Override
  public void close() throws IOException {
    reader.close();
  }
}

package io.sluice.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** The text of a config file, refused before any parsing when it is too large, has too long a line, or is not UTF-8. */
final class ConfigText {

  /** No real config comes near this; the bound keeps a hostile file from costing the parser time and memory. */
  static final int MAX_BYTES = 1 << 20;

  /**
   * SnakeYAML copies its whole window for every 1 KiB it reads of one token, so a token costs the square of its
   * length: a line of 1 MiB made it allocate 2 GB. TOML does not suffer from it, but one rule for every config file is
   * simpler to state, and no hand-written line comes near this.
   */
  static final int MAX_LINE_LENGTH = 16 * 1024;

  private static final String WITHIN_LIMIT = "a config file of at most 1 MiB = " + MAX_BYTES + " bytes";
  private static final String SHORT_LINES = "lines of at most 16 KiB = " + MAX_LINE_LENGTH
      + " characters; write a long value over several lines";
  private static final char BYTE_ORDER_MARK = '\uFEFF';

  private ConfigText() {}

  static String read(Path file) throws ConfigException {
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file)) {
      bytes = in.readNBytes(MAX_BYTES + 1);
    } catch (NoSuchFileException e) {
      throw new ConfigException(file,
          new ConfigProblem("", null, "no such file", "an existing " + file.getFileName(), 0));
    } catch (IOException e) {
      throw new ConfigException(file, new ConfigProblem("", null, "cannot be read: " + e, "a readable file", 0));
    }
    if (bytes.length > MAX_BYTES) {
      throw tooLarge(file);
    }
    try {
      String text = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
      return text.isEmpty() || text.charAt(0) != BYTE_ORDER_MARK ? text : text.substring(1);
    } catch (CharacterCodingException e) {
      throw new ConfigException(file, new ConfigProblem("", null, "is not UTF-8 text", "a UTF-8 text file", 0));
    }
  }

  /** The same bound for text handed over as a string, and the bound on lines; every reader calls it. */
  static void requireWithinLimit(String text, Path nameForMessages) throws ConfigException {
    if (text.length() > MAX_BYTES || text.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
      throw tooLarge(nameForMessages);
    }
    requireShortLines(text, nameForMessages);
  }

  private static void requireShortLines(String text, Path file) throws ConfigException {
    int line = 1;
    int length = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\n') {
        line++;
        length = 0;
      } else if (c == '\r') {
        length = 0;
      } else if (++length > MAX_LINE_LENGTH) {
        throw new ConfigException(file, new ConfigProblem("", null,
            "a line longer than 16 KiB; refused before parsing", SHORT_LINES, line));
      }
    }
  }

  private static ConfigException tooLarge(Path file) {
    return new ConfigException(file,
        new ConfigProblem("", null, "is larger than 1 MiB; refused before parsing", WITHIN_LIMIT, 0));
  }
}

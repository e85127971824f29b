package io.sluice.dataplane.routing;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Refuses paths that a replica, or a proxy or framework behind it, could resolve outside the app's own tree or read
 * differently from Sluice: dot segments (plain, percent-encoded, or with the {@code ;} parameters some servers strip),
 * encoded slashes, backslashes and NULs, malformed escapes, and escapes that do not decode to valid UTF-8 (overlong
 * forms such as {@code %c0%ae} are how old decoders were tricked into a {@code .}).
 */
final class PathSafety {

  private PathSafety() {}

  static boolean isClean(String path) {
    if (path.indexOf('\\') >= 0) {
      return false;
    }
    if (path.indexOf('%') >= 0 && !cleanEscapes(path)) {
      return false;
    }
    int start = 0;
    int n = path.length();
    while (start < n) {
      int end = path.indexOf('/', start);
      if (end < 0) {
        end = n;
      }
      int semicolon = path.indexOf(';', start);
      int nameEnd = semicolon >= 0 && semicolon < end ? semicolon : end;
      int len = nameEnd - start;
      if ((len == 1 && path.charAt(start) == '.')
          || (len == 2 && path.charAt(start) == '.' && path.charAt(start + 1) == '.')) {
        return false;
      }
      start = end + 1;
    }
    return true;
  }

  /** Every {@code %} starts two hex digits; the bytes they spell are valid UTF-8 and none is a separator or NUL. */
  private static boolean cleanEscapes(String path) {
    byte[] decoded = new byte[path.length()];
    int size = 0;
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c != '%') {
        decoded[size++] = (byte) c;
        continue;
      }
      if (i + 2 >= path.length()) {
        return false;
      }
      int hi = Character.digit(path.charAt(i + 1), 16);
      int lo = Character.digit(path.charAt(i + 2), 16);
      if (hi < 0 || lo < 0) {
        return false;
      }
      int b = hi << 4 | lo;
      if (b == '/' || b == '\\' || b == '.' || b == 0) {
        return false;
      }
      decoded[size++] = (byte) b;
      i += 2;
    }
    try {
      StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(decoded, 0, size));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  /** {@code //} and longer runs become one {@code /}, as nginx's {@code merge_slashes} does. */
  static String mergeSlashes(String path) {
    if (!path.contains("//")) {
      return path;
    }
    StringBuilder merged = new StringBuilder(path.length());
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c != '/' || merged.length() == 0 || merged.charAt(merged.length() - 1) != '/') {
        merged.append(c);
      }
    }
    return merged.toString();
  }
}

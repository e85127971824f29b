package io.sluice.dataplane.routing;

import java.util.Locale;

/**
 * Refuses paths that a replica, or a proxy behind it, could resolve outside the app's own tree: dot segments, in
 * plain or percent-encoded form, and encoded slashes or backslashes that would turn into separators after decoding.
 */
final class PathSafety {

  private PathSafety() {}

  static boolean isClean(String path) {
    if (path.indexOf('%') >= 0) {
      String lower = path.toLowerCase(Locale.ROOT);
      if (lower.contains("%2f") || lower.contains("%5c") || lower.contains("%2e") || lower.contains("%00")) {
        return false;
      }
    }
    if (path.indexOf('\\') >= 0) {
      return false;
    }
    int start = 0;
    int n = path.length();
    while (start < n) {
      int end = path.indexOf('/', start);
      if (end < 0) {
        end = n;
      }
      int len = end - start;
      if ((len == 1 && path.charAt(start) == '.')
          || (len == 2 && path.charAt(start) == '.' && path.charAt(start + 1) == '.')) {
        return false;
      }
      start = end + 1;
    }
    return true;
  }
}

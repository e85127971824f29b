package io.sluice.dataplane.proxy;

import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Headers that describe one connection, not the message (RFC 9110 section 7.6.1): a proxy must not forward them, nor
 * any header that the {@code Connection} header names.
 */
final class HopByHopHeaders {

  private static final Set<String> ALWAYS = Set.of(
      "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer",
      "transfer-encoding", "upgrade");

  private HopByHopHeaders() {}

  /** Copies {@code from} into {@code to}, leaving out hop-by-hop headers and, if asked, {@code Host}. */
  static void copyEndToEnd(MultiMap from, MultiMap to, boolean dropHost) {
    List<String> connection = from.getAll(HttpHeaders.CONNECTION);
    Set<String> named = connection.isEmpty() ? Set.of() : namedIn(connection);
    for (var entry : from) {
      String name = entry.getKey().toLowerCase(Locale.ROOT);
      if (ALWAYS.contains(name) || named.contains(name) || (dropHost && name.equals("host"))) {
        continue;
      }
      to.add(entry.getKey(), entry.getValue());
    }
  }

  private static Set<String> namedIn(List<String> connectionHeaders) {
    var names = new java.util.HashSet<String>();
    for (String header : connectionHeaders) {
      for (String token : header.split(",")) {
        String name = token.trim().toLowerCase(Locale.ROOT);
        if (!name.isEmpty()) {
          names.add(name);
        }
      }
    }
    return names;
  }
}

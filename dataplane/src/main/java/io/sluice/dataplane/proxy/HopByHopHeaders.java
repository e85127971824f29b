package io.sluice.dataplane.proxy;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;
import java.util.Iterator;
import java.util.Map;

/**
 * Headers that describe one connection, not the message (RFC 9110 section 7.6.1): a proxy must not forward them, nor
 * any header that the {@code Connection} header names.
 *
 * <p>Runs twice per proxied request. Most messages carry none of these, so one pass over the names, compared in place
 * ignoring case, finds out, and only a message that has some pays for removing them.
 */
final class HopByHopHeaders {

  private static final AsciiString PROXY_CONNECTION = AsciiString.cached("proxy-connection");
  private static final AsciiString[] ALWAYS = {
      HttpHeaderNames.CONNECTION, HttpHeaderNames.KEEP_ALIVE, HttpHeaderNames.PROXY_AUTHENTICATE,
      HttpHeaderNames.PROXY_AUTHORIZATION, PROXY_CONNECTION, HttpHeaderNames.TE, HttpHeaderNames.TRAILER,
      HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.UPGRADE};

  private HopByHopHeaders() {}

  /** Removes the hop-by-hop headers and those the {@code Connection} header names. */
  static void strip(HttpHeaders headers) {
    // Most requests and answers have no Connection header: then the lookup is all it costs, not a list of values.
    if (headers.contains(HttpHeaderNames.CONNECTION)) {
      for (String connection : headers.getAll(HttpHeaderNames.CONNECTION)) {
        for (String token : connection.split(",")) {
          String name = token.trim();
          if (!name.isEmpty()) {
            headers.remove(name);
          }
        }
      }
    }
    for (Iterator<Map.Entry<CharSequence, CharSequence>> it = headers.iteratorCharSequence(); it.hasNext(); ) {
      if (isHopByHop(it.next().getKey())) {
        for (AsciiString name : ALWAYS) {
          headers.remove(name);
        }
        return;
      }
    }
  }

  static boolean isHopByHop(CharSequence name) {
    switch (name.length()) {
      case 2:
        return is(name, HttpHeaderNames.TE);
      case 7:
        return is(name, HttpHeaderNames.TRAILER) || is(name, HttpHeaderNames.UPGRADE);
      case 10:
        return is(name, HttpHeaderNames.CONNECTION) || is(name, HttpHeaderNames.KEEP_ALIVE);
      case 16:
        return is(name, PROXY_CONNECTION);
      case 17:
        return is(name, HttpHeaderNames.TRANSFER_ENCODING);
      case 18:
        return is(name, HttpHeaderNames.PROXY_AUTHENTICATE);
      case 19:
        return is(name, HttpHeaderNames.PROXY_AUTHORIZATION);
      default:
        return false;
    }
  }

  private static boolean is(CharSequence name, AsciiString expected) {
    return AsciiString.contentEqualsIgnoreCase(name, expected);
  }
}

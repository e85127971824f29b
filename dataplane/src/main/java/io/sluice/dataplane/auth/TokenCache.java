package io.sluice.dataplane.auth;

import java.util.HashMap;
import java.util.Map;

/**
 * Signed tokens this event loop has already verified, so that a client sending the same token on every request pays
 * for the signature check once a minute rather than every time (an RS256 or ES256 check costs tens of microseconds).
 * One per event loop, touched by that loop only. Bounded: when full it starts over.
 */
public final class TokenCache {

  record Entry(String project, String appKey, long validUntilNanos) {}

  static final int MAX_ENTRIES = 4096;

  private final Map<String, Entry> entries = new HashMap<>();

  Entry get(String token, long nowNanos) {
    Entry entry = entries.get(token);
    if (entry != null && nowNanos - entry.validUntilNanos() >= 0) {
      entries.remove(token);
      return null;
    }
    return entry;
  }

  void put(String token, Entry entry) {
    if (entries.size() >= MAX_ENTRIES) {
      entries.clear();
    }
    entries.put(token, entry);
  }

  int size() {
    return entries.size();
  }
}

package io.sluice.dataplane.auth;

import java.util.HashMap;
import java.util.Map;

/**
 * Credentials this event loop has already verified, so that a client sending the same one on every request pays for
 * the check once: a signed token's signature (an RS256 or ES256 check costs tens of microseconds) once a minute, an
 * API key's hash (about half a microsecond) until any key is revoked. One per event loop, touched by that loop only.
 * Bounded: when full it starts over.
 */
public final class TokenCache {

  /**
   * @param appKey the app a replica token names, else null
   * @param revocations for an API key, the key store's revocation count when it was checked; else -1
   */
  record Entry(String project, String appKey, long validUntilNanos, long revocations) {
    boolean apiKey() {
      return revocations >= 0;
    }
  }

  static final int MAX_ENTRIES = 4096;

  private final Map<String, Entry> entries = new HashMap<>();

  /** @param authorization the whole {@code Authorization} header the credential came in */
  Entry get(String authorization, long nowNanos) {
    Entry entry = entries.get(authorization);
    if (entry != null && nowNanos - entry.validUntilNanos() >= 0) {
      entries.remove(authorization);
      return null;
    }
    return entry;
  }

  void put(String authorization, Entry entry) {
    if (entries.size() >= MAX_ENTRIES) {
      entries.clear();
    }
    entries.put(authorization, entry);
  }

  int size() {
    return entries.size();
  }
}

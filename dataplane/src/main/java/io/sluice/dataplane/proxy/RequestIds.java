package io.sluice.dataplane.proxy;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Request ids in the form Cerebrium uses for its run ids (a random UUID), made without {@link UUID#randomUUID()}'s
 * SecureRandom, which would contend across event loops. They identify requests; they are not secrets.
 */
public final class RequestIds {

  private RequestIds() {}

  public static String next() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long high = (random.nextLong() & 0xffffffffffff0fffL) | 0x0000000000004000L;
    long low = (random.nextLong() & 0x3fffffffffffffffL) | 0x8000000000000000L;
    return new UUID(high, low).toString();
  }

  /** A client's own id is kept when it is a sane token; anything else is replaced, so logs cannot be forged. */
  public static boolean acceptable(String id) {
    int n = id.length();
    if (n == 0 || n > 200) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = id.charAt(i);
      if (c <= 0x20 || c >= 0x7f) {
        return false;
      }
    }
    return true;
  }
}

package io.sluice.dataplane.records;

import java.util.ArrayList;
import java.util.List;

/**
 * One event loop's most recent request records: a fixed array written round by that loop alone, the oldest record
 * overwritten first, with a count of those dropped so. Adding is a store and an increment; reading is done on the same
 * loop ({@link NodeRecords} hops there), so it needs no locks.
 */
final class RecordRing {

  private final RequestRecord[] slots;
  private final long maxPayloadBytes;
  private long written;
  private long payloadBytes;
  private long payloadsDropped;

  RecordRing(int capacity, long maxPayloadBytes) {
    this.slots = new RequestRecord[capacity];
    this.maxPayloadBytes = maxPayloadBytes;
  }

  void add(RequestRecord record) {
    int slot = (int) (written++ % slots.length);
    RequestRecord overwritten = slots[slot];
    if (overwritten != null) {
      payloadBytes -= overwritten.payloadBytes();
    }
    slots[slot] = record;
    payloadBytes += record.payloadBytes();
    // Over the payload bound: the oldest records give up their payloads (they stay, without them) until it fits.
    for (long i = Math.max(0, written - slots.length); payloadBytes > maxPayloadBytes && i < written - 1; i++) {
      int at = (int) (i % slots.length);
      RequestRecord old = slots[at];
      if (old != null && old.payloadBytes() > 0) {
        payloadBytes -= old.payloadBytes();
        slots[at] = old.withoutPayload();
        payloadsDropped++;
      }
    }
  }

  /** Payloads given up to keep the ring within its bound. */
  long payloadsDropped() {
    return payloadsDropped;
  }

  /** Records overwritten before anyone could read them. */
  long dropped() {
    return Math.max(0, written - slots.length);
  }

  int capacity() {
    return slots.length;
  }

  /** The records {@code query} matches, newest first, at most its limit. */
  List<RequestRecord> matching(RecordQuery query) {
    List<RequestRecord> found = new ArrayList<>();
    long oldest = Math.max(0, written - slots.length);
    for (long i = written - 1; i >= oldest && found.size() < query.limit(); i--) {
      RequestRecord record = slots[(int) (i % slots.length)];
      if (query.matches(record)) {
        found.add(record);
      }
    }
    return found;
  }
}

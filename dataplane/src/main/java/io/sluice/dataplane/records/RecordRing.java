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
  private long written;

  RecordRing(int capacity) {
    this.slots = new RequestRecord[capacity];
  }

  void add(RequestRecord record) {
    slots[(int) (written++ % slots.length)] = record;
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

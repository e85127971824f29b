package io.sluice.dataplane.replica.local;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The lines waiting for one follower, bounded in bytes: lines are offered from the threads that read replicas'
 * pipes and taken on the follower's event loop as fast as its connection drains. When a follower is slower than its
 * replicas print, lines that do not fit are dropped and counted, and the next line taken says how many went missing
 * just before it, so that the follower can say so. Many producers, one consumer.
 */
public final class FollowerBuffer {

  /** What a queued line costs besides its text: the entry, the record, the strings' headers. */
  static final int LINE_OVERHEAD_BYTES = 96;

  /** A line, and how many lines were dropped just before it. */
  public record Entry(LogLine line, long droppedBefore) {}

  private final long maxBytes;
  private final Queue<Entry> queue = new ConcurrentLinkedQueue<>();
  private final AtomicLong bytes = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();

  public FollowerBuffer(long maxBytes) {
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes: " + maxBytes + " (expected: >= 1)");
    }
    this.maxBytes = maxBytes;
  }

  /** Queues the line, or drops it when the buffer is full; false when it was dropped. Never blocks. */
  public boolean offer(LogLine line) {
    long cost = costOf(line);
    if (bytes.addAndGet(cost) > maxBytes) {
      bytes.addAndGet(-cost);
      dropped.incrementAndGet();
      return false;
    }
    queue.add(new Entry(line, dropped.getAndSet(0)));
    return true;
  }

  /** The next line, or null when none waits. */
  public Entry poll() {
    Entry entry = queue.poll();
    if (entry != null) {
      bytes.addAndGet(-costOf(entry.line()));
    }
    return entry;
  }

  /** Lines dropped since the last line queued, not yet told: for when the queue has run dry after a drop. */
  public long takeDropped() {
    return dropped.getAndSet(0);
  }

  /** Lines dropped elsewhere before they got here (on the node that read them): told with the next line. */
  public void countDropped(long lines) {
    if (lines > 0) {
      dropped.addAndGet(lines);
    }
  }

  /** What the queued lines take now, by the buffer's own count. */
  public long bytes() {
    return bytes.get();
  }

  /**
   * Removes lines the follower already has: for each replica, if its line {@code sent.get(replica)} is queued, it and
   * the replica's lines queued before it. For a follower that first read the log's tail from disk while lines kept
   * coming: those written before the read are both on disk and queued.
   */
  public void dropAlreadySent(Map<String, LogLine> sent) {
    Map<String, Integer> through = new HashMap<>();
    Map<String, Integer> seen = new HashMap<>();
    for (Entry entry : queue) {
      String replica = entry.line().replica();
      int index = seen.merge(replica, 1, Integer::sum);
      if (!through.containsKey(replica) && entry.line().equals(sent.get(replica))) {
        through.put(replica, index);
      }
    }
    Map<String, Integer> removed = new HashMap<>();
    for (Iterator<Entry> it = queue.iterator(); it.hasNext() && !through.isEmpty(); ) {
      Entry entry = it.next();
      String replica = entry.line().replica();
      Integer last = through.get(replica);
      if (last != null) {
        int count = removed.merge(replica, 1, Integer::sum);
        it.remove();
        bytes.addAndGet(-costOf(entry.line()));
        if (count == last) {
          through.remove(replica);
        }
      }
    }
  }

  private static long costOf(LogLine line) {
    return LINE_OVERHEAD_BYTES + 2L * line.text().length();
  }
}

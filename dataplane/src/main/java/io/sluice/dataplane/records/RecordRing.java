package io.sluice.dataplane.records;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * One event loop's most recent request records, written round by that loop alone, the oldest overwritten first,
 * with a count of those dropped so. Reading is done on the same loop ({@link NodeRecords} hops there), so it needs no
 * locks.
 *
 * <p>Kept as columns, not as record objects: numbers in primitive arrays, the names that outlive a request (project,
 * app, node, replica, method, error code) as references, and each request's own text (its id, path, client, caller,
 * run id, traceparent) as bytes in one arena. A ring of record objects was a young generation's worth of objects that
 * every young collection had to copy: on the proxy benchmark that made young pauses 8-9 ms instead of 2 ms, and the
 * p99 latency of a node with records on 0.6-1.8 ms worse than one with them off. Records are rebuilt when read.
 *
 * <p>The arena holds {@link #TEXT_BYTES_PER_RECORD} bytes per record on average: a record whose text has been
 * overwritten by newer records' (long paths) is dropped with it.
 */
final class RecordRing {

  static final int TEXT_BYTES_PER_RECORD = 192;
  private static final int TEXTS = 6;
  private static final int ID = 0;
  private static final int PATH = 1;
  private static final int CLIENT = 2;
  private static final int CALLER = 3;
  private static final int RUN_ID = 4;
  private static final int TRACEPARENT = 5;
  /** A text that was null, as its length. */
  private static final int ABSENT = -1;

  private final int capacity;
  private final long[] startMillis;
  private final long[] totalMicros;
  private final long[] heldMicros;
  private final long[] firstByteMicros;
  private final long[] transferMicros;
  private final long[] bytesIn;
  private final long[] bytesOut;
  private final int[] status;
  private final String[] project;
  private final String[] app;
  private final String[] kind;
  private final String[] method;
  private final String[] replica;
  private final String[] node;
  private final String[] errorCode;
  private final JsonObject[] payload;
  private final WebSocketEnd[] websocket;
  private final long[] textStart;
  private final int[] textLengths;
  private final byte[] text;
  private final long maxPayloadBytes;
  private long written;
  private long textWritten;
  private long payloadBytes;
  private long payloadsDropped;

  RecordRing(int capacity, long maxPayloadBytes) {
    this.capacity = capacity;
    this.maxPayloadBytes = maxPayloadBytes;
    startMillis = new long[capacity];
    totalMicros = new long[capacity];
    heldMicros = new long[capacity];
    firstByteMicros = new long[capacity];
    transferMicros = new long[capacity];
    bytesIn = new long[capacity];
    bytesOut = new long[capacity];
    status = new int[capacity];
    project = new String[capacity];
    app = new String[capacity];
    kind = new String[capacity];
    method = new String[capacity];
    replica = new String[capacity];
    node = new String[capacity];
    errorCode = new String[capacity];
    payload = new JsonObject[capacity];
    websocket = new WebSocketEnd[capacity];
    textStart = new long[capacity];
    textLengths = new int[capacity * TEXTS];
    text = new byte[capacity * TEXT_BYTES_PER_RECORD];
  }

  void add(RequestRecord record) {
    int slot = (int) (written++ % capacity);
    if (payload[slot] != null) {
      payloadBytes -= payloadBytes(payload[slot]);
    }
    startMillis[slot] = record.startMillis();
    totalMicros[slot] = record.totalMicros();
    heldMicros[slot] = record.heldMicros();
    firstByteMicros[slot] = record.firstByteMicros();
    transferMicros[slot] = record.transferMicros();
    bytesIn[slot] = record.bytesIn();
    bytesOut[slot] = record.bytesOut();
    status[slot] = record.status();
    project[slot] = record.project();
    app[slot] = record.app();
    kind[slot] = record.kind();
    method[slot] = record.method();
    replica[slot] = record.replica();
    node[slot] = record.node();
    errorCode[slot] = record.errorCode();
    websocket[slot] = record.websocket();
    payload[slot] = record.payload();
    textStart[slot] = textWritten;
    int base = slot * TEXTS;
    textLengths[base + ID] = put(record.requestId());
    textLengths[base + PATH] = put(record.path());
    textLengths[base + CLIENT] = put(record.client());
    textLengths[base + CALLER] = put(record.caller());
    textLengths[base + RUN_ID] = put(record.runId());
    textLengths[base + TRACEPARENT] = put(record.traceparent());
    payloadBytes += record.payloadBytes();
    if (payloadBytes > maxPayloadBytes) {
      // Over the payload bound: the oldest records give up their payloads (they stay, without them) until it fits.
      for (long i = Math.max(0, written - capacity); payloadBytes > maxPayloadBytes && i < written - 1; i++) {
        int at = (int) (i % capacity);
        if (payload[at] != null && payloadBytes(payload[at]) > 0) {
          payloadBytes -= payloadBytes(payload[at]);
          payload[at] = null;
          payloadsDropped++;
        }
      }
    }
  }

  /**
   * Appends a text to the arena, one byte per char: what the node records (ids, paths and header values as HTTP sends
   * them, addresses) comes off the wire a byte per char, so it is Latin-1, and each char is kept as its low byte.
   * Longer than the arena: cut. Copied straight from the string's own bytes: a loop over {@code charAt} cost 1 % of
   * the event loop's time on the proxy benchmark, and {@code getBytes(charset)}'s copy of each text, to be copied
   * again here, was 1 % of it and a tenth of what the loop allocated per request.
   */
  // Deprecated for dropping high bytes, which is what is wanted: the one String copy into an array of ours.
  @SuppressWarnings("deprecation")
  private int put(String value) {
    if (value == null) {
      return ABSENT;
    }
    int length = Math.min(value.length(), text.length);
    int at = (int) (textWritten % text.length);
    int beforeWrap = Math.min(length, text.length - at);
    value.getBytes(0, beforeWrap, text, at);
    value.getBytes(beforeWrap, length, text, 0);
    textWritten += length;
    return length;
  }

  private String get(long start, int length) {
    if (length == ABSENT) {
      return null;
    }
    char[] chars = new char[length];
    int at = (int) (start % text.length);
    for (int i = 0; i < length; i++) {
      chars[i] = (char) (text[at] & 0xff);
      if (++at == text.length) {
        at = 0;
      }
    }
    return new String(chars);
  }

  /** The index of the oldest record still readable: in the ring, and its text not overwritten. */
  private long oldest() {
    long first = Math.max(0, written - capacity);
    while (first < written && textStart[(int) (first % capacity)] < textWritten - text.length) {
      first++;
    }
    return first;
  }

  private RequestRecord read(long index) {
    int slot = (int) (index % capacity);
    int base = slot * TEXTS;
    long at = textStart[slot];
    String[] texts = new String[TEXTS];
    for (int t = 0; t < TEXTS; t++) {
      int length = textLengths[base + t];
      texts[t] = get(at, length);
      at += Math.max(0, length);
    }
    return new RequestRecord(texts[ID], project[slot], app[slot], kind[slot], method[slot], texts[PATH], status[slot],
        startMillis[slot], totalMicros[slot], heldMicros[slot], firstByteMicros[slot], transferMicros[slot],
        replica[slot], node[slot], bytesIn[slot], bytesOut[slot], texts[CALLER], texts[RUN_ID], errorCode[slot],
        texts[TRACEPARENT], payload[slot], texts[CLIENT], websocket[slot]);
  }

  private static int payloadBytes(JsonObject captured) {
    return captured.getInteger("kept_bytes", 0);
  }

  /** Payloads given up to keep the ring within its bound. */
  long payloadsDropped() {
    return payloadsDropped;
  }

  /** Records overwritten before anyone could read them (by newer records, or by their text). */
  long dropped() {
    return oldest();
  }

  int capacity() {
    return capacity;
  }

  /** The records {@code query} matches, newest first, at most its limit. */
  List<RequestRecord> matching(RecordQuery query) {
    List<RequestRecord> found = new ArrayList<>();
    long oldest = oldest();
    for (long i = written - 1; i >= oldest && found.size() < query.limit(); i--) {
      RequestRecord record = read(i);
      if (query.matches(record)) {
        found.add(record);
      }
    }
    return found;
  }
}

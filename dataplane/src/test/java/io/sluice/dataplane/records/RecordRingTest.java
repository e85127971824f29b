package io.sluice.dataplane.records;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.MultiMap;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecordRingTest {

  private static RequestRecord record(int n, int status, String app) {
    return new RequestRecord("r" + n, "p", app, "http", "GET", "/v4/p/" + app + "/x", status, 1000L + n, 10, 0, 5,
        5, "rep", "node", 0, 0, null, null, null, null, null, null, null);
  }

  private static RecordQuery all(int limit) {
    return new RecordQuery(null, null, null, 0, Long.MAX_VALUE, Long.MAX_VALUE, limit, null);
  }

  @Test
  void a_full_ring_drops_its_oldest_first_and_counts_them() {
    RecordRing ring = new RecordRing(4, 1 << 20);
    for (int n = 0; n < 7; n++) {
      ring.add(record(n, 200, "a"));
    }

    assertThat(ring.matching(all(10))).extracting(RequestRecord::requestId).containsExactly("r6", "r5", "r4", "r3");
    assertThat(ring.dropped()).isEqualTo(3);
  }

  @Test
  void a_record_reads_back_as_it_was_written_latin_1_included_and_its_absent_texts_absent() {
    RecordRing ring = new RecordRing(4, 1 << 20);
    RequestRecord full = new RequestRecord("id-1", "p", "a", "grpc", "POST", "/v4/p/a/caf\u00e9/\u00ff", 503, 1, 2, 3,
        4, 5, "rep", "node", 6, 7, "p/caller", "run-1", "queue_full", "00-abc-def-01", null, "10.0.0.9", null);
    RequestRecord sparse = record(2, 200, "a");

    ring.add(full);
    ring.add(sparse);

    assertThat(ring.matching(all(10))).containsExactly(sparse, full);
  }

  @Test
  void records_whose_text_newer_long_paths_overwrote_are_dropped_with_it() {
    RecordRing ring = new RecordRing(4, 1 << 20);
    ring.add(record(1, 200, "a"));
    ring.add(record(2, 200, "a"));
    // r1 and r2 hold 11 bytes of text each; this path takes the arena (4 x 192 bytes) just past r1's text.
    String longPath = "/v4/p/a/" + "x".repeat(RecordRing.TEXT_BYTES_PER_RECORD * 4 - 26);
    ring.add(new RequestRecord("r3", "p", "a", "http", "GET", longPath, 200, 1003, 10, 0, 5, 5, "rep", "node", 0, 0,
        null, null, null, null, null, null, null));

    assertThat(ring.matching(all(10))).extracting(RequestRecord::requestId).containsExactly("r3", "r2");
    assertThat(ring.matching(all(10)).get(0).path()).isEqualTo(longPath);
    assertThat(ring.dropped()).isEqualTo(1);
  }

  @Test
  void queries_filter_by_app_status_id_and_time_newest_first() {
    RecordRing ring = new RecordRing(16, 1 << 20);
    ring.add(record(1, 200, "a"));
    ring.add(record(2, 503, "a"));
    ring.add(record(3, 404, "b"));
    ring.add(record(4, 0, "a"));

    assertThat(ring.matching(RecordQuery.of(MultiMap.caseInsensitiveMultiMap().add("status", "5xx"), "p/a")))
        .extracting(RequestRecord::requestId).containsExactly("r2");
    assertThat(ring.matching(RecordQuery.of(MultiMap.caseInsensitiveMultiMap().add("status", "none"), null)))
        .extracting(RequestRecord::requestId).containsExactly("r4");
    assertThat(ring.matching(RecordQuery.of(MultiMap.caseInsensitiveMultiMap().add("status", "404"), null)))
        .extracting(RequestRecord::requestId).containsExactly("r3");
    assertThat(ring.matching(RecordQuery.of(MultiMap.caseInsensitiveMultiMap().add("before", "1003"), "p/a")))
        .extracting(RequestRecord::requestId).containsExactly("r2", "r1");
    assertThat(ring.matching(RecordQuery.of(MultiMap.caseInsensitiveMultiMap().add("since", "1002")
        .add("until", "1003"), null))).extracting(RequestRecord::requestId).containsExactly("r3", "r2");
    assertThat(ring.matching(all(2))).hasSize(2);
  }

  @Test
  void a_bad_query_says_what_it_expects() {
    assertThatThrownBy(() -> RecordQuery.of(MultiMap.caseInsensitiveMultiMap().add("since", "yesterday"), null))
        .hasMessageContaining("ISO-8601");
    assertThatThrownBy(() -> RecordQuery.of(MultiMap.caseInsensitiveMultiMap().add("limit", "5000"), null))
        .hasMessageContaining("1..1000");
    assertThat(RequestRecord.fromJson(record(9, 201, "a").toJson())).isEqualTo(record(9, 201, "a"));
    assertThat(List.of(record(1, 0, "a").statusClass(), record(1, 503, "a").statusClass()))
        .containsExactly("none", "5xx");
  }
}

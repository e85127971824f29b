package io.sluice.dataplane.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IdleLimitTest {

  static final long S = 1_000_000_000L;
  static final long MS = 1_000_000L;

  @Test
  void a_replica_not_seen_yet_gets_connections_idle_under_four_seconds() {
    IdleLimit limit = new IdleLimit();

    assertThat(limit.allows(3_999 * MS)).isTrue();
    assertThat(limit.allows(4 * S)).isFalse();
  }

  @Test
  void connections_seen_open_longer_raise_the_limit_to_that_age_less_a_second() {
    IdleLimit limit = new IdleLimit();
    limit.seenOpen(3 * S);
    assertThat(limit.nanos()).as("never below the default").isEqualTo(4 * S);

    limit.seenOpen(9 * S);
    assertThat(limit.nanos()).isEqualTo(8 * S);
    limit.seenOpen(6 * S);
    assertThat(limit.nanos()).as("the longest seen counts").isEqualTo(8 * S);
  }

  @Test
  void a_close_by_the_replica_puts_the_limit_below_it_whatever_was_seen_before() {
    IdleLimit limit = new IdleLimit();
    limit.seenOpen(60 * S);

    limit.closedByReplica(5 * S);
    assertThat(limit.nanos()).isEqualTo(4 * S);
    limit.closedByReplica(1 * S);
    assertThat(limit.nanos()).as("half the age, where that is less than a second").isEqualTo(500 * MS);
    limit.closedByReplica(3 * S);
    assertThat(limit.nanos()).as("the shortest close counts").isEqualTo(500 * MS);
  }

  @Test
  void an_open_connection_older_than_the_last_close_shows_that_close_was_no_idle_timeout() {
    IdleLimit limit = new IdleLimit();
    limit.closedByReplica(20 * MS);
    assertThat(limit.allows(15 * MS)).isFalse();

    limit.seenOpen(30 * S);
    assertThat(limit.nanos()).isEqualTo(29 * S);
  }

  @Test
  void connections_seen_open_below_a_close_do_not_raise_the_limit_past_it() {
    IdleLimit limit = new IdleLimit();
    limit.closedByReplica(5 * S);

    limit.seenOpen(4_900 * MS);
    assertThat(limit.nanos()).isEqualTo(4 * S);
  }
}

package io.sluice.cluster.runs;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunRecordTest {

  private static final Duration LEASE = Duration.ofSeconds(10);

  private static RunRecord accepted(String webhook) {
    return RunRecord.accepted("r1", "p", "a", "POST", "/v4/p/a/predict", List.of(Map.entry("X-A", "1")), webhook, 1000);
  }

  @Test
  void a_queued_run_is_claimed_once_and_again_only_after_its_lease_runs_out() {
    RunRecord claimed = accepted(null).claimedBy("node-1", 2000, LEASE);

    assertThat(claimed.state()).isEqualTo(RunRecord.RUNNING);
    assertThat(claimed.attempts()).isEqualTo(1);
    assertThat(claimed.claimable(2000 + LEASE.toMillis())).as("lease still held").isFalse();
    assertThat(claimed.claimable(2001 + LEASE.toMillis())).as("lease ran out").isTrue();
    RunRecord again = claimed.claimedBy("node-2", 2001 + LEASE.toMillis(), LEASE);
    assertThat(again.attempts()).isEqualTo(2);
    assertThat(again.heldBy("node-2")).isTrue();
    assertThat(again.heldBy("node-1")).isFalse();
  }

  @Test
  void an_answer_finishes_the_run_and_a_webhook_keeps_work_until_it_is_delivered_or_given_up() {
    RunRecord answered = accepted("http://hook").claimedBy("n", 2000, LEASE)
        .answered(503, List.of(), 12, 3000).released();

    assertThat(answered.state()).isEqualTo(RunRecord.FAILED);
    assertThat(answered.finished()).isTrue();
    assertThat(answered.hasWork()).as("the webhook is still to be told").isTrue();
    RunRecord retry = answered.claimedBy("n", 4000, LEASE).webhookTried(false, 500, "refused", 6000, false).released();
    assertThat(retry.hasWork()).isTrue();
    assertThat(retry.claimable(5000)).as("not before its next try").isFalse();
    assertThat(retry.claimable(6000)).isTrue();
    assertThat(retry.state()).as("the webhook does not change the run's outcome").isEqualTo(RunRecord.FAILED);
    assertThat(retry.webhookTried(true, 204, null, 0, false).hasWork()).isFalse();
    assertThat(retry.webhookTried(false, 500, "refused", 0, true).hasWork()).isFalse();
  }

  @Test
  void a_run_is_cancelled_at_once_before_it_runs_and_by_its_runner_while_it_runs() {
    RunRecord queued = accepted(null);
    RunRecord running = queued.claimedBy("n", 2000, LEASE);

    assertThat(queued.cancelled(1500).state()).isEqualTo(RunRecord.CANCELLED);
    assertThat(queued.cancelled(1500).hasWork()).isFalse();
    assertThat(running.cancelled(2500).state()).isEqualTo(RunRecord.RUNNING);
    assertThat(running.cancelled(2500).cancelRequested()).isTrue();
    assertThat(running.answered(200, List.of(), 0, 3000).cancelled(3500)).as("over already").isNull();
  }

  @Test
  void a_retried_run_waits_for_its_time_and_survives_encoding() {
    RunRecord retried = RunRecord.decode(accepted(null).claimedBy("n", 2000, LEASE)
        .retryAt(9000, "queue_full (503)").released().encode());

    assertThat(retried.state()).isEqualTo(RunRecord.QUEUED);
    assertThat(retried.claimable(8999)).isFalse();
    assertThat(retried.claimable(9000)).isTrue();
    assertThat(retried.headers()).containsExactly(Map.entry("X-A", "1"));
    assertThat(retried.view().getString("last_error")).isEqualTo("queue_full (503)");
  }
}

package io.sluice.dataplane.logs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.dataplane.replica.local.ReplicaFolders;
import io.sluice.dataplane.replica.local.ReplicaLogLimits;
import io.sluice.dataplane.replica.local.ReplicaLogs;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node keeps a feed for a follower only while the follower keeps asking: its node may die without saying so. */
class FleetLogsLeaseTest {

  @TempDir
  Path state;

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void a_feed_lives_while_its_follower_renews_it_and_closes_once_the_lease_runs_out() throws Exception {
    AtomicLong now = new AtomicLong(1_000_000);
    ReplicaLogs logs = new ReplicaLogs(ReplicaFolders.under(state), new ReplicaLogLimits(ReplicaLogLimits.MIN_FILE_BYTES,
        3, 2), Instant::now);
    FleetLogs fleetLogs = new FleetLogs(vertx, "n1", logs, () -> List.of("n1"), () -> Instant.ofEpochMilli(now.get()));
    fleetLogs.listen();
    vertx.eventBus().<JsonObject>consumer("test.follower", batch -> batch.reply(null));
    JsonObject follow = new JsonObject().put("op", "follow").put("id", "f1").put("to", "test.follower")
        .put("project", "local").put("app", "hello").put("tail", 10);

    ask(follow);
    assertThat(fleetLogs.feeds()).isEqualTo(1);
    now.addAndGet(FleetLogs.LEASE_MILLIS - 1);
    ask(follow);
    now.addAndGet(FleetLogs.LEASE_MILLIS - 1);
    fleetLogs.expireFeeds(now.get());
    assertThat(fleetLogs.feeds()).as("renewed within the lease").isEqualTo(1);

    now.addAndGet(2);
    fleetLogs.expireFeeds(now.get());
    assertThat(fleetLogs.feeds()).as("not renewed for longer than the lease").isZero();
  }

  @Test
  void a_feed_whose_follower_is_gone_closes_at_its_first_batch() throws Exception {
    ReplicaLogs logs = new ReplicaLogs(ReplicaFolders.under(state), new ReplicaLogLimits(ReplicaLogLimits.MIN_FILE_BYTES,
        3, 2), Instant::now);
    FleetLogs fleetLogs = new FleetLogs(vertx, "n1", logs, () -> List.of("n1"), Instant::now);
    fleetLogs.listen();

    ask(new JsonObject().put("op", "follow").put("id", "f2").put("to", "nobody.listens")
        .put("project", "local").put("app", "hello").put("tail", 10));

    await().atMost(Duration.ofSeconds(5)).until(() -> fleetLogs.feeds() == 0);
  }

  private void ask(JsonObject body) throws Exception {
    vertx.eventBus().request(FleetLogs.ADDRESS + "n1", body).toCompletionStage().toCompletableFuture()
        .get(5, TimeUnit.SECONDS);
  }
}

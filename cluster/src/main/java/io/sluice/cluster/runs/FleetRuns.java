package io.sluice.cluster.runs;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * Asynchronous runs as fleet state: every accepted run is in Hazelcast, with a synchronous backup on another node,
 * before its caller hears 202, so that no node's death loses one.
 *
 * <p>Three maps: {@code sluice.runs} holds each run's record ({@link RunRecord}, JSON), {@code sluice.run-bodies}
 * its request body and, once it has one, its result body, and {@code sluice.runs-due} the runs that still have work
 * (to run, or a webhook to deliver) with the time from which a node may take them up. A node looks only at the due
 * runs in its own partitions, so the work spreads over the fleet with no coordination, and the partitions of a node
 * that dies pass, with their due runs, to the nodes that take over its data. A run is taken with a lease (compare and
 * set on its record) that its runner renews; one whose runner stops renewing is taken again once the lease runs out:
 * runs are at least once, and the replica gets the run id to tell a repeat.
 *
 * <p>Calls block (Hazelcast round trips) except those returning a stage: keep them off event loops.
 */
public final class FleetRuns {

  public static final String RUNS = "sluice.runs";
  public static final String BODIES = "sluice.run-bodies";
  public static final String DUE = "sluice.runs-due";

  private final IMap<String, String> runs;
  private final IMap<String, byte[]> bodies;
  private final IMap<String, Long> due;
  private final String self;
  private final InstantSource clock;
  private final Duration retention;

  /**
   * @param self this node's id, written into the runs it takes
   * @param retention how long a finished run and its result are kept
   */
  public FleetRuns(HazelcastInstance hazelcast, String self, InstantSource clock, Duration retention) {
    this.runs = hazelcast.getMap(RUNS);
    this.bodies = hazelcast.getMap(BODIES);
    this.due = hazelcast.getMap(DUE);
    this.self = self;
    this.clock = clock;
    this.retention = retention;
  }

  public String self() {
    return self;
  }

  /** Stores a new run and its body; the stage completes once both are on their owner and its backup. */
  public CompletionStage<Void> accept(RunRecord run, byte[] body) {
    String id = run.id();
    return bodies.setAsync(id, body)
        .thenCompose(stored -> runs.setAsync(id, run.encode()))
        .thenCompose(stored -> due.setAsync(id, 0L));
  }

  public CompletionStage<Optional<RunRecord>> get(String id) {
    return runs.getAsync(id).thenApply(json -> Optional.ofNullable(json).map(RunRecord::decode));
  }

  public CompletionStage<Optional<byte[]>> resultBody(String id) {
    return bodies.getAsync(resultKey(id)).thenApply(Optional::ofNullable);
  }

  /** The request body of a run (blocking). */
  public byte[] requestBody(String id) {
    byte[] body = bodies.get(id);
    return body == null ? new byte[0] : body;
  }

  /** Runs in this node's partitions whose work may be taken up now, soonest first, at most {@code max}. */
  public List<String> dueHere(int max) {
    long now = clock.millis();
    Set<String> local = due.localKeySet();
    if (local.isEmpty()) {
      return List.of();
    }
    List<Map.Entry<String, Long>> ready = new ArrayList<>();
    for (Map.Entry<String, Long> entry : due.getAll(local).entrySet()) {
      if (entry.getValue() <= now) {
        ready.add(entry);
      }
    }
    ready.sort(Map.Entry.comparingByValue());
    return ready.stream().limit(max).map(Map.Entry::getKey).toList();
  }

  /**
   * Takes up the run if its work is due and nobody holds it: the record with this node's lease, or empty when the
   * run is not to be taken (someone else has it, it is done, it is gone).
   */
  public Optional<RunRecord> claim(String id, Duration lease) {
    long now = clock.millis();
    Optional<RunRecord> claimed = update(id, run -> run.claimable(now) ? run.claimedBy(self, now, lease) : null);
    if (claimed.isEmpty()) {
      RunRecord current = Optional.ofNullable(runs.get(id)).map(RunRecord::decode).orElse(null);
      if (current == null || !current.hasWork()) {
        // Nothing left to do (finished meanwhile, or expired): its due entry goes too.
        due.delete(id);
      }
    } else {
      due.set(id, claimed.get().leaseUntil());
    }
    return claimed;
  }

  /**
   * Extends this node's lease on a run it is working on: the updated record, or empty when the lease was lost (the
   * run was taken by another node, or finished). A run whose cancellation was asked keeps its flag in the record.
   */
  public Optional<RunRecord> renew(String id, Duration lease) {
    long now = clock.millis();
    Optional<RunRecord> renewed = update(id, run -> run.heldBy(self) ? run.withLease(now + lease.toMillis()) : null);
    renewed.ifPresent(run -> due.set(id, run.leaseUntil()));
    return renewed;
  }

  /**
   * Ends this node's work on a run with {@code change} applied (a result, a failure, a retry later, a webhook's
   * outcome): stored, with its result body when it has one, kept for the retention period once finished and its due
   * entry gone once no work is left. Returns the stored record, or empty when this node no longer held it.
   */
  public Optional<RunRecord> release(String id, UnaryOperator<RunRecord> change, byte[] resultBody) {
    Optional<RunRecord> released = update(id, run -> run.heldBy(self) ? change.apply(run).released() : null);
    released.ifPresent(run -> settle(run, resultBody));
    return released;
  }

  /**
   * Cancels a run: one not yet running ends cancelled at once; a running one is flagged, and its runner stops it.
   * The run as it is afterwards, or empty when there is no such run.
   */
  public Optional<RunRecord> cancel(String id) {
    Optional<RunRecord> cancelled = update(id, run -> run.cancelled(clock.millis()));
    cancelled.ifPresent(run -> settle(run, null));
    return cancelled.isPresent() ? cancelled : Optional.ofNullable(runs.get(id)).map(RunRecord::decode);
  }

  private void settle(RunRecord run, byte[] resultBody) {
    String id = run.id();
    if (resultBody != null) {
      bodies.set(resultKey(id), resultBody, retention.toMillis(), TimeUnit.MILLISECONDS);
    }
    if (run.finished()) {
      runs.set(id, run.encode(), retention.toMillis(), TimeUnit.MILLISECONDS);
      bodies.setTtl(id, retention.toMillis(), TimeUnit.MILLISECONDS);
    }
    if (run.hasWork()) {
      due.set(id, run.dueAt());
    } else {
      due.delete(id);
    }
  }

  /** Compare-and-set on a run's record; {@code change} returns null to leave it as it is. */
  private Optional<RunRecord> update(String id, UnaryOperator<RunRecord> change) {
    for (int attempt = 0; attempt < 16; attempt++) {
      String json = runs.get(id);
      if (json == null) {
        return Optional.empty();
      }
      RunRecord changed = change.apply(RunRecord.decode(json));
      if (changed == null) {
        return Optional.empty();
      }
      if (runs.replace(id, json, changed.encode())) {
        return Optional.of(changed);
      }
    }
    throw new IllegalStateException("run " + id + " changed 16 times while it was being updated");
  }

  private static String resultKey(String id) {
    return id + ":result";
  }
}

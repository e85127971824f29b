package io.sluice.dataplane.routing;

import io.sluice.autoscaler.metrics.ConcurrencyAccumulator;
import io.sluice.autoscaler.metrics.MetricBucket;
import io.sluice.autoscaler.replica.ReplicaId;
import io.sluice.config.AppSpec;
import io.sluice.config.ConfigFormat;
import io.sluice.dataplane.metrics.AppMeters;
import io.vertx.core.net.SocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * What a node needs to route one app's requests: its spec, its ready replicas, the requests held for a slot, and the
 * per-event-loop meters that feed the autoscaler.
 *
 * <p>The replica list is an immutable array replaced on every change, so the event loops that read it per request
 * never lock; changes are rare and serialized here. A slot is taken against the app's hard limit
 * ({@code replica_concurrency} / {@code predict_concurrency}); a request that finds none waits in the hold queue and
 * is handed the first slot that frees up or the first replica that becomes ready, oldest first.
 *
 * <p>A cold start, as this node's metrics count it, begins with the first request held while the app has no ready
 * replica here, and ends when one becomes ready: what that request's client lived through, whether the app was at
 * zero, its only replica had died, or a (re)deploy's first replica was still loading. It is the route's business
 * because the route alone sees both ends, the hold and the readiness.
 */
public final class AppRoute {

  private static final RoutedReplica[] NONE = new RoutedReplica[0];
  /** {@link #coldSince} when no cold start is under way. */
  private static final long NOT_COLD = Long.MIN_VALUE;

  private static final long COLD_START_MEMORY_MILLIS = 3_600_000;
  /** When this node's cold starts of the app began, for the last hour (the dashboard's count). */
  private final java.util.concurrent.ConcurrentLinkedDeque<Long> coldStartTimes =
      new java.util.concurrent.ConcurrentLinkedDeque<>();
  private final AppSpec spec;
  private final boolean truss;
  private final long timeoutMillis;
  private final int hardLimit;
  private final NodeDrain node;
  private final ReplicaPicker picker = new ReplicaPicker();
  private final HoldQueue held;
  private final ConcurrencyAccumulator[] meters;
  private final AppMeters requestMeters;
  private final ConcurrentLinkedQueue<MetricBucket> closedBuckets = new ConcurrentLinkedQueue<>();
  private volatile RoutedReplica[] ready = NONE;
  private final Set<RoutedReplica> retiring = ConcurrentHashMap.newKeySet();
  private volatile Runnable onDemand = () -> { };
  private volatile boolean failed;
  private int newReplicaShare = -1;
  private volatile int desiredReplicas;
  private volatile int panicking;
  /** When the cold start under way began (its first held request), or {@link #NOT_COLD}. */
  private final AtomicLong coldSince = new AtomicLong(NOT_COLD);

  /** A route whose requests are not exported as metrics (tests, benchmarks). */
  public AppRoute(AppSpec spec, int eventLoops, int maxHeld, NodeDrain node) {
    this(spec, eventLoops, maxHeld, node, AppMeters.NONE);
  }

  /**
   * @param eventLoops how many event loops meter this app (one accumulator each, touched by its loop only)
   * @param maxHeld how many requests may wait for a slot
   * @param node the node's count of requests in flight, which every slot joins
   * @param requestMeters where the app's requests end, for the node's {@code /metrics}
   */
  public AppRoute(AppSpec spec, int eventLoops, int maxHeld, NodeDrain node, AppMeters requestMeters) {
    this.spec = spec;
    this.requestMeters = requestMeters;
    this.node = node;
    this.truss = spec.format() == ConfigFormat.TRUSS_YAML;
    this.timeoutMillis = spec.requestTimeout().toMillis();
    this.hardLimit = spec.scaling().replicaConcurrency();
    this.held = new HoldQueue(maxHeld);
    this.meters = new ConcurrencyAccumulator[eventLoops];
    long now = System.nanoTime();
    for (int i = 0; i < eventLoops; i++) {
      meters[i] = new ConcurrencyAccumulator(now);
    }
  }

  public AppSpec spec() {
    return spec;
  }

  boolean truss() {
    return truss;
  }

  public long timeoutMillis() {
    return timeoutMillis;
  }

  public int hardLimit() {
    return hardLimit;
  }

  /** A slot on the ready replica with the fewest requests in flight and room under the hard limit, or null. */
  public ReplicaSlot tryAcquire() {
    for (int attempt = 0; attempt < 4; attempt++) {
      RoutedReplica replica = picker.pick(ready, hardLimit);
      if (replica == null) {
        return null;
      }
      ReplicaSlot slot = replica.tryAcquire(hardLimit, node);
      if (slot != null) {
        return slot;
      }
    }
    return null;
  }

  /**
   * Holds a request until a slot frees up: {@code onSlot} then runs on {@code loop}, the request's event loop. Returns null when the queue is
   * full. Signals demand when no replica is ready, so that an app at zero wakes at once rather than at its next tick.
   */
  public HeldRequest hold(Executor loop, long nowNanos, Consumer<ReplicaSlot> onSlot) {
    HeldRequest request = new HeldRequest(loop, nowNanos, onSlot);
    if (!held.offer(request)) {
      return null;
    }
    if (ready.length == 0) {
      coldStart(nowNanos);
      onDemand.run();
    }
    // A slot may have freed between the caller's failed tryAcquire and the offer: look once more, or it is missed.
    dispatchHeld();
    return request;
  }

  /**
   * Begins a cold start unless one is under way. A replica may have become ready since the caller looked: then it is
   * undone, for {@link #markReady} may have looked for a cold start before this one began.
   */
  private void coldStart(long nowNanos) {
    if (coldSince.compareAndSet(NOT_COLD, nowNanos)) {
      if (ready.length != 0 && coldSince.compareAndSet(nowNanos, NOT_COLD)) {
        return;
      }
      requestMeters.coldStartBegan();
      coldStartTimes.addLast(System.currentTimeMillis());
      forgetColdStartsBefore(System.currentTimeMillis() - COLD_START_MEMORY_MILLIS);
    }
  }

  /** Cold starts this node's route began since {@code epochMillis} (within the last hour). */
  public int coldStartsSince(long epochMillis) {
    forgetColdStartsBefore(System.currentTimeMillis() - COLD_START_MEMORY_MILLIS);
    int count = 0;
    for (long began : coldStartTimes) {
      if (began >= epochMillis) {
        count++;
      }
    }
    return count;
  }

  private void forgetColdStartsBefore(long epochMillis) {
    for (Long oldest; (oldest = coldStartTimes.peekFirst()) != null && oldest < epochMillis; ) {
      coldStartTimes.pollFirst();
    }
  }

  /** Takes back a held request (expired, or its client left); false if it got a slot first. */
  public boolean withdraw(HeldRequest request) {
    if (!held.withdraw(request)) {
      return false;
    }
    requestMeters.leftHoldQueue(System.nanoTime() - request.heldAtNanos());
    return true;
  }

  public int heldCount() {
    return held.depth();
  }

  /** The meters every request to the app ends in; the exchange records into them without any lookup. */
  public AppMeters requestMeters() {
    return requestMeters;
  }

  /** Hands free slots to held requests, oldest first. */
  void dispatchHeld() {
    while (!held.isEmpty()) {
      ReplicaSlot slot = tryAcquire();
      if (slot == null) {
        return;
      }
      HeldRequest next = held.claimOldest();
      if (next == null) {
        slot.release();
        return;
      }
      requestMeters.leftHoldQueue(System.nanoTime() - next.heldAtNanos());
      next.proceed(slot);
    }
  }

  /**
   * Sets this node's part of each ready replica's hard limit ({@link SlotShares}), in a fleet of {@code members}; a
   * replica that becomes ready before the next call gets an even part. Held requests get the slots a larger part frees.
   */
  public synchronized void share(Map<String, Integer> parts, int members) {
    newReplicaShare = members <= 1 ? -1 : Math.max(1, hardLimit / members);
    for (RoutedReplica replica : ready) {
      Integer part = parts.get(replica.id().name());
      replica.share(part == null ? newReplicaShare : part);
    }
    dispatchHeld();
  }

  public List<RoutedReplica> readyReplicas() {
    return List.of(ready);
  }

  public synchronized void markReady(ReplicaId id, SocketAddress address) {
    List<RoutedReplica> next = new ArrayList<>(List.of(ready));
    next.removeIf(r -> r.id().equals(id));
    RoutedReplica replica = new RoutedReplica(id, address, this::dispatchHeld);
    replica.share(newReplicaShare);
    next.add(replica);
    ready = next.toArray(NONE);
    long since = coldSince.getAndSet(NOT_COLD);
    if (since != NOT_COLD) {
      requestMeters.coldStartEnded(System.nanoTime() - since);
    }
    dispatchHeld();
  }

  public synchronized void markNotReady(ReplicaId id) {
    List<RoutedReplica> next = new ArrayList<>(List.of(ready));
    for (RoutedReplica replica : List.of(ready)) {
      if (replica.id().equals(id)) {
        next.remove(replica);
        retiring.add(replica);
      }
    }
    if (next.size() != ready.length) {
      ready = next.toArray(NONE);
    }
  }

  /**
   * Requests this node has in flight per replica, those taken out of routing but not yet done included (what the node
   * that stops a replica waits for); replicas with none are left out.
   */
  public Map<String, Integer> inFlightByReplica() {
    Map<String, Integer> counts = new HashMap<>();
    for (RoutedReplica replica : ready) {
      if (replica.inFlight() > 0) {
        counts.put(replica.id().name(), replica.inFlight());
      }
    }
    retiring.removeIf(replica -> replica.inFlight() == 0);
    for (RoutedReplica replica : retiring) {
      counts.merge(replica.id().name(), replica.inFlight(), Integer::sum);
    }
    return counts;
  }

  /** How many replicas requests are routed to now. */
  /** The app's decider's latest count and panic state, wherever it runs, for the node's metrics. */
  public void decided(int desired, boolean panic) {
    desiredReplicas = desired;
    panicking = panic ? 1 : 0;
  }

  public int desiredReplicas() {
    return desiredReplicas;
  }

  /** 1 while the app's decider panics, else 0. */
  public int panicking() {
    return panicking;
  }

  public int readyCount() {
    return ready.length;
  }

  /**
   * Requests this node has on the app's replicas now, those taken out of routing but not yet done included; unlike
   * {@link #inFlightByReplica()} it changes nothing, so a scrape may call it from any thread.
   */
  public int onReplicas() {
    int sum = inFlight();
    for (RoutedReplica replica : retiring) {
      sum += replica.inFlight();
    }
    return sum;
  }

  /** Requests this node has in flight on the app's ready replicas. */
  public int inFlight() {
    int sum = 0;
    for (RoutedReplica replica : ready) {
      sum += replica.inFlight();
    }
    return sum;
  }

  /** Called with every request held while no replica is ready (the autoscaler's wake-up poke). */
  public void onDemand(Runnable listener) {
    this.onDemand = listener;
  }

  /** Set when the app's deploy failed: nothing would ever serve a held request, so none are held. */
  public void failed(boolean value) {
    this.failed = value;
  }

  public boolean failed() {
    return failed;
  }

  /** The accumulator of one event loop; only that loop may touch it. */
  public ConcurrencyAccumulator meter(int loop) {
    return meters[loop];
  }

  /** Called by an event loop with the bucket it closed for this app. */
  public void publish(MetricBucket bucket) {
    closedBuckets.add(bucket);
  }

  /** Hands the buckets closed since the last call to the autoscaler. */
  public void drainBuckets(Consumer<MetricBucket> into) {
    for (MetricBucket bucket; (bucket = closedBuckets.poll()) != null; ) {
      into.accept(bucket);
    }
  }
}

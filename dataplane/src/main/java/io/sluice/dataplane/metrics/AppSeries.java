package io.sluice.dataplane.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.sluice.autoscaler.replica.ReplicaFailure;
import io.sluice.autoscaler.replica.ReplicaListener;
import io.sluice.config.AppId;
import io.sluice.dataplane.routing.AppRoute;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-app series of one node, labelled {@code project} and {@code app}, bounded in number.
 *
 * <pre>
 * sluice_app_requests_total{project,app,status_class}   requests ended, by the class of the status sent: 1xx (a
 *                                                        WebSocket, counted when it closes), 2xx-5xx, none (the
 *                                                        client left before an answer began)
 * sluice_app_request_duration_seconds{project,app}      histogram: head received to last byte sent, hold included;
 *                                                        for a WebSocket, to its 101
 * sluice_app_requests_in_flight{project,app}             requests on a replica of the app now
 * sluice_app_requests_held{project,app}                  requests waiting in the app's hold queue for a slot now
 * sluice_app_replicas_ready{project,app}                 replicas this node routes the app's requests to
 * sluice_app_replicas_desired{project,app}               replicas the app's decider wants
 * sluice_app_panicking{project,app}                      1 while the app's decider is in panic mode
 * sluice_app_hold_duration_seconds{project,app}          histogram: how long each held request waited in the hold
 *                                                        queue, until it got a slot, timed out or its client left;
 *                                                        requests that found a slot at once are not in it
 * sluice_app_cold_starts_total{project,app}              cold starts begun here: a request held while the app had no
 *                                                        ready replica here, none being waited for already
 * sluice_app_cold_start_duration_seconds{project,app}    histogram: a cold start's first held request to the first
 *                                                        replica ready here
 * sluice_app_replica_starts_total{project,app}           replica processes this node started (restarts included)
 * sluice_app_replica_became_ready_total{project,app}     of those, the ones that passed their readiness probe
 * sluice_app_replica_failures_total{project,app,reason}  replica runs on this node that ended unasked, by
 *                                                        {@link ReplicaFailure#label()}
 * sluice_app_replicas_given_up_total{project,app}        replicas this node's provider gave up on (never ready)
 * sluice_apps_unlabelled                                 apps counted under project="_other", app="_other"
 * </pre>
 *
 * <p>The first {@link MetricsOptions#maxAppsWithSeries} apps deployed get series of their own; an app past the cap
 * shares the {@code _other} series (made at the first such app, and logged once), so that sums over apps stay the
 * node's totals. An app keeps what it got for as long as it is deployed, across redeploys: a redeploy keeps the
 * app's counters going, and an app under {@code _other} gets series of its own at a redeploy once there is room.
 * An undeployed app's series are removed at once. In-flight, held and ready are read from the app's current route
 * when Prometheus scrapes, so they cost the request path nothing; requests still ending on an older version's route
 * during a redeploy are not in them.
 */
public final class AppSeries {

  private static final Logger log = LoggerFactory.getLogger(AppSeries.class);

  /** Where an app past the cap is counted; app and project names never start with '_'. */
  static final String OTHER = "_other";

  /** Service-level buckets from 1 ms to 60 s: the latency of a small model call to a long generation. */
  static final Duration[] LATENCY_BUCKETS = {
      Duration.ofMillis(1), Duration.ofNanos(2_500_000), Duration.ofMillis(5), Duration.ofMillis(10),
      Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250),
      Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2_500), Duration.ofSeconds(5),
      Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60)};

  /** From a slot freed a moment later to the default hold timeout (120 s). */
  static final Duration[] HOLD_BUCKETS = {
      Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(25), Duration.ofMillis(100),
      Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2_500),
      Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60),
      Duration.ofSeconds(120)};

  /** From a small server's half a second to a large model's ten minutes of loading. */
  static final Duration[] COLD_START_BUCKETS = {
      Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2_500), Duration.ofSeconds(5),
      Duration.ofSeconds(10), Duration.ofSeconds(20), Duration.ofSeconds(30), Duration.ofSeconds(60),
      Duration.ofSeconds(120), Duration.ofSeconds(300), Duration.ofSeconds(600)};

  private final MeterRegistry registry;
  private final int maxApps;
  private final Function<AppId, AppRoute> routes;
  private final Map<AppId, Labelled> labelled = new HashMap<>();
  private final Set<AppId> unlabelled = ConcurrentHashMap.newKeySet();
  private Labelled other;
  private boolean capLogged;

  /**
   * @param routes the route an app is routed by now, or null: what the gauges read when scraped
   */
  public AppSeries(MeterRegistry registry, MetricsOptions options, Function<AppId, AppRoute> routes) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.maxApps = options.maxAppsWithSeries();
    this.routes = Objects.requireNonNull(routes, "routes");
    Gauge.builder("sluice.apps.unlabelled", unlabelled::size)
        .description("Deployed apps past the node's cap of apps with series of their own, counted under "
            + "project=\"_other\", app=\"_other\"")
        .register(registry);
  }

  /** The meters for a new route of the app: its own while under the cap (the same across redeploys), else _other. */
  public synchronized AppMeters meters(AppId id) {
    Labelled own = labelled.get(id);
    if (own != null) {
      return own.meters;
    }
    if (labelled.size() < maxApps) {
      unlabelled.remove(id);
      own = register(id.project(), id.name(), gauge -> () -> valueOf(id, gauge));
      labelled.put(id, own);
      return own.meters;
    }
    unlabelled.add(id);
    if (!capLogged) {
      capLogged = true;
      log.warn("{} apps have series of their own at /metrics, as many as this node gives (--metrics-max-apps); {} "
          + "and apps deployed after it are counted under project=\"_other\", app=\"_other\" (logged once)",
          labelled.size(), id);
    }
    if (other == null) {
      other = register(OTHER, OTHER, gauge -> () -> sumOfUnlabelled(gauge));
    }
    return other.meters;
  }

  /**
   * What the provider tells of the replicas it runs, counted into their apps' series (starts, readiness, failures)
   * before it goes on to {@code next}. An app that is no longer deployed is not counted.
   */
  public ReplicaListener countingReplicas(ReplicaListener next) {
    Objects.requireNonNull(next, "next");
    ReplicaStarts starts = new ReplicaStarts();
    return status -> {
      AppRoute route = routes.apply(status.id().app());
      starts.observed(status, route == null ? AppMeters.NONE : route.requestMeters());
      next.onStatus(status);
    };
  }

  /** The app was undeployed: its series go. */
  public synchronized void removed(AppId id) {
    unlabelled.remove(id);
    Labelled gone = labelled.remove(id);
    if (gone != null) {
      gone.all().forEach(registry::remove);
    }
  }

  /** How many apps have series of their own now. */
  public synchronized int labelledCount() {
    return labelled.size();
  }

  /** How many apps are counted under {@code _other} now. */
  public int unlabelledCount() {
    return unlabelled.size();
  }

  private int valueOf(AppId id, ToIntFunction<AppRoute> gauge) {
    AppRoute route = routes.apply(id);
    return route == null ? 0 : gauge.applyAsInt(route);
  }

  private int sumOfUnlabelled(ToIntFunction<AppRoute> gauge) {
    int sum = 0;
    for (AppId id : unlabelled) {
      sum += valueOf(id, gauge);
    }
    return sum;
  }

  /** Registers one app's meters; {@code gauges} turns what a gauge reads off a route into what it reports. */
  private Labelled register(String project, String app,
      Function<ToIntFunction<AppRoute>, Supplier<Number>> gauges) {
    Tags tags = Tags.of("project", project, "app", app);
    List<Meter> all = new ArrayList<>();
    Counter[] counters = new Counter[AppMeters.STATUS_CLASSES.length];
    for (int i = 0; i < counters.length; i++) {
      counters[i] = Counter.builder("sluice.app.requests")
          .description("Requests ended, by the class of the status sent to the client; none: the client left "
              + "before an answer began")
          .tags(tags).tag("status_class", AppMeters.STATUS_CLASSES[i])
          .register(registry);
      all.add(counters[i]);
    }
    Timer duration = Timer.builder("sluice.app.request.duration")
        .description("Time from a request's head to the last byte of its answer, time held for a replica included")
        .tags(tags)
        .serviceLevelObjectives(LATENCY_BUCKETS)
        .publishPercentileHistogram(false)
        .register(registry);
    all.add(duration);
    all.add(Gauge.builder("sluice.app.requests.in.flight", gauges.apply(AppRoute::onReplicas))
        .description("Requests on a replica of the app now (held ones are in sluice_app_requests_held)")
        .tags(tags).register(registry));
    all.add(Gauge.builder("sluice.app.requests.held", gauges.apply(AppRoute::heldCount))
        .description("Requests waiting in the app's hold queue for a replica slot now")
        .tags(tags).register(registry));
    all.add(Gauge.builder("sluice.app.replicas.ready", gauges.apply(AppRoute::readyCount))
        .description("Ready replicas this node routes the app's requests to")
        .tags(tags).register(registry));
    all.add(Gauge.builder("sluice.app.replicas.desired", gauges.apply(AppRoute::desiredReplicas))
        .description("Replicas the app's decider wants, as of its latest decision (the same on every node)")
        .tags(tags).register(registry));
    all.add(Gauge.builder("sluice.app.panicking", gauges.apply(AppRoute::panicking))
        .description("1 while the app's decider is in panic mode, else 0")
        .tags(tags).register(registry));
    Timer held = histogram("sluice.app.hold.duration", "How long each held request waited in the app's hold queue, "
        + "until it got a replica slot, its hold time ran out or its client left; requests that found a slot at once "
        + "are not in it", tags, HOLD_BUCKETS, all);
    Counter coldStarts = counter("sluice.app.cold.starts", "Cold starts begun on this node: a request held while "
        + "the app had no ready replica here, none being waited for already", tags, all);
    Timer coldStartDuration = histogram("sluice.app.cold.start.duration", "From a cold start's first held request "
        + "to the first replica of the app ready on this node", tags, COLD_START_BUCKETS, all);
    Counter replicaStarts = counter("sluice.app.replica.starts", "Replica processes of the app this node started, "
        + "restarts included", tags, all);
    Counter becameReady = counter("sluice.app.replica.became.ready", "Replica starts on this node that passed "
        + "their readiness probe", tags, all);
    Counter[] failures = new Counter[ReplicaFailure.values().length];
    for (ReplicaFailure failure : ReplicaFailure.values()) {
      failures[failure.ordinal()] = counter("sluice.app.replica.failures", "Replica runs on this node that ended "
          + "without being asked to, by reason", tags.and("reason", failure.label()), all);
    }
    Counter givenUp = counter("sluice.app.replicas.given.up", "Replicas this node's provider gave up on: they kept "
        + "failing before they were ever ready", tags, all);
    return new Labelled(new AppMeters(counters, duration, held, coldStarts, coldStartDuration, replicaStarts,
        becameReady, failures, givenUp), List.copyOf(all));
  }

  private Counter counter(String name, String description, Tags tags, List<Meter> all) {
    Counter counter = Counter.builder(name).description(description).tags(tags).register(registry);
    all.add(counter);
    return counter;
  }

  private Timer histogram(String name, String description, Tags tags, Duration[] buckets, List<Meter> all) {
    Timer timer = Timer.builder(name).description(description).tags(tags)
        .serviceLevelObjectives(buckets)
        .publishPercentileHistogram(false)
        .register(registry);
    all.add(timer);
    return timer;
  }

  /** An app's meters as its routes record into them, and every meter of its series, to remove them. */
  private record Labelled(AppMeters meters, List<Meter> all) { }
}

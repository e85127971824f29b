package io.sluice.dataplane.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
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
    return new Labelled(new AppMeters(counters, duration), List.copyOf(all));
  }

  /** An app's meters as its routes record into them, and every meter of its series, to remove them. */
  private record Labelled(AppMeters meters, List<Meter> all) { }
}

package io.sluice.dataplane.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.autoscaler.replica.ReplicaFailure;
import io.sluice.autoscaler.replica.ReplicaId;
import io.sluice.autoscaler.replica.ReplicaListener;
import io.sluice.autoscaler.replica.ReplicaState;
import io.sluice.autoscaler.replica.ReplicaStatus;
import io.sluice.config.AppId;
import io.sluice.config.AppSpec;
import io.sluice.config.Command;
import io.sluice.config.ConfigFormat;
import io.sluice.config.HardwareSpec;
import io.sluice.config.RuntimeSpec;
import io.sluice.config.ScalingMetric;
import io.sluice.config.ScalingSpec;
import io.sluice.config.UpstreamProtocol;
import io.sluice.config.WebSocketSpec;
import io.sluice.dataplane.routing.AppRoute;
import io.sluice.dataplane.routing.HeldRequest;
import io.sluice.dataplane.routing.NodeDrain;
import io.sluice.dataplane.routing.ReplicaSlot;
import io.sluice.dataplane.support.Scrape;
import io.vertx.core.net.SocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The per-app series: bounded by the cap, removed with their app, and what a request's end records. */
class AppSeriesTest {

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Map<AppId, AppRoute> routes = new ConcurrentHashMap<>();

  private AppSeries series(int maxApps) {
    return new AppSeries(registry, new MetricsOptions(maxApps), routes::get);
  }

  private Scrape scrape() {
    return Scrape.of(registry.scrape());
  }

  private static AppId app(String name) {
    return new AppId("p", name);
  }

  private double requests(String app, String statusClass) {
    return scrape().value("sluice_app_requests_total", "app", app, "status_class", statusClass).orElseThrow();
  }

  @Test
  void apps_up_to_the_cap_get_series_of_their_own_and_the_rest_share_the_other_series() {
    AppSeries series = series(2);

    AppMeters a = series.meters(app("a"));
    AppMeters b = series.meters(app("b"));
    AppMeters c = series.meters(app("c"));
    AppMeters d = series.meters(app("d"));
    c.ended(200, 1_000_000);
    d.ended(200, 1_000_000);
    a.ended(200, 1_000_000);

    assertThat(series.labelledCount()).isEqualTo(2);
    assertThat(series.unlabelledCount()).isEqualTo(2);
    assertThat(c).isSameAs(d).isNotSameAs(a).isNotSameAs(b);
    Scrape scrape = scrape();
    assertThat(scrape.value("sluice_apps_unlabelled")).hasValue(2);
    assertThat(scrape.labelled("app", "c")).isEmpty();
    assertThat(scrape.labelled("app", "d")).isEmpty();
    assertThat(scrape.value("sluice_app_requests_total", "project", "_other", "app", "_other", "status_class", "2xx"))
        .hasValue(2);
    assertThat(requests("a", "2xx")).isEqualTo(1);
    assertThat(requests("b", "2xx")).isZero();
  }

  @Test
  void an_undeployed_apps_series_are_removed_and_its_place_goes_to_the_next_app_deployed() {
    AppSeries series = series(1);
    series.meters(app("a")).ended(200, 1_000_000);
    series.meters(app("b"));

    series.removed(app("a"));
    series.meters(app("new"));

    Scrape scrape = scrape();
    assertThat(scrape.labelled("app", "a")).isEmpty();
    assertThat(scrape.labelled("app", "new")).isNotEmpty();
    assertThat(scrape.value("sluice_apps_unlabelled")).as("b stays under _other until its next deploy").hasValue(1);

    series.removed(app("b"));

    assertThat(scrape().value("sluice_apps_unlabelled")).hasValue(0);
  }

  @Test
  void an_undeployed_app_leaves_no_series_at_all() {
    AppSeries series = series(10);
    series.meters(app("gone")).ended(500, 1_000_000);

    series.removed(app("gone"));

    assertThat(scrape().labelled("app", "gone")).isEmpty();
    assertThat(registry.getMeters()).as("its counters, its timers and its gauges are gone, the node's own gauge stays")
        .extracting(meter -> meter.getId().getName()).containsExactly("sluice.apps.unlabelled");

  }

  @Test
  void a_redeploy_keeps_the_apps_meters_so_its_counters_go_on() {
    AppSeries series = series(10);
    AppMeters first = series.meters(app("a"));
    first.ended(200, 1_000_000);

    AppMeters redeployed = series.meters(app("a"));
    redeployed.ended(200, 1_000_000);

    assertThat(redeployed).isSameAs(first);
    assertThat(requests("a", "2xx")).isEqualTo(2);
  }

  @Test
  void an_app_under_other_gets_series_of_its_own_at_a_redeploy_once_there_is_room() {
    AppSeries series = series(1);
    series.meters(app("a"));
    series.meters(app("b"));
    series.removed(app("a"));

    series.meters(app("b")).ended(200, 1_000_000);

    assertThat(requests("b", "2xx")).isEqualTo(1);
    assertThat(series.unlabelledCount()).isZero();
  }

  @Test
  void a_cap_of_zero_counts_every_app_under_other() {
    AppSeries series = series(0);

    series.meters(app("a")).ended(200, 1_000_000);
    series.meters(app("b")).ended(503, 1_000_000);

    assertThat(series.labelledCount()).isZero();
    assertThat(requests("_other", "2xx")).isEqualTo(1);
    assertThat(requests("_other", "5xx")).isEqualTo(1);
    assertThat(scrape().value("sluice_apps_unlabelled")).hasValue(2);
  }

  @Test
  void a_request_is_counted_by_the_class_of_its_status_and_timed_in_buckets_from_1_ms_to_60_s() {
    AppMeters meters = series(10).meters(app("a"));

    meters.ended(200, TimeUnit.MILLISECONDS.toNanos(3));
    meters.ended(204, TimeUnit.MILLISECONDS.toNanos(700));
    meters.ended(404, TimeUnit.MILLISECONDS.toNanos(1));
    meters.ended(503, TimeUnit.SECONDS.toNanos(90));
    meters.ended(101, TimeUnit.MILLISECONDS.toNanos(20));
    meters.ended(0, TimeUnit.MILLISECONDS.toNanos(40));

    assertThat(requests("a", "2xx")).isEqualTo(2);
    assertThat(requests("a", "4xx")).isEqualTo(1);
    assertThat(requests("a", "5xx")).isEqualTo(1);
    assertThat(requests("a", "1xx")).isEqualTo(1);
    assertThat(requests("a", "none")).isEqualTo(1);
    assertThat(requests("a", "3xx")).isZero();
    Scrape scrape = scrape();
    List<Scrape.Sample> buckets = scrape.matching("sluice_app_request_duration_seconds_bucket", "app", "a");
    assertThat(buckets).extracting(bucket -> bucket.labels().get("le")).containsExactly(
        "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0",
        "30.0", "60.0", "+Inf");
    assertThat(bucket(scrape, "0.001")).as("1 ms is in the 1 ms bucket").isEqualTo(1);
    assertThat(bucket(scrape, "0.005")).isEqualTo(2);
    assertThat(bucket(scrape, "0.05")).isEqualTo(4);
    assertThat(bucket(scrape, "1.0")).isEqualTo(5);
    assertThat(bucket(scrape, "60.0")).isEqualTo(5);
    assertThat(bucket(scrape, "+Inf")).isEqualTo(6);
    assertThat(scrape.value("sluice_app_request_duration_seconds_count", "app", "a")).hasValue(6);
  }

  @Test
  void a_status_outside_100_to_599_counts_as_none() {
    AppMeters meters = series(10).meters(app("a"));

    meters.ended(99, 1);
    meters.ended(600, 1);

    assertThat(requests("a", "none")).isEqualTo(2);
  }

  @Test
  void gauges_read_the_apps_current_route_when_scraped() {
    AppSeries series = series(1);
    AppRoute a = route(app("a"), series);
    AppRoute b = route(app("b"), series);
    AppRoute c = route(app("c"), series);
    ready(a, "a-1");
    ready(a, "a-2");
    a.tryAcquire();
    ready(b, "b-1");
    ready(c, "c-1");
    b.tryAcquire();
    c.tryAcquire();
    c.hold(Runnable::run, System.nanoTime(), slot -> { });

    Scrape scrape = scrape();
    assertThat(scrape.value("sluice_app_replicas_ready", "app", "a")).hasValue(2);
    assertThat(scrape.value("sluice_app_requests_in_flight", "app", "a")).hasValue(1);
    assertThat(scrape.value("sluice_app_requests_held", "app", "a")).hasValue(0);
    assertThat(scrape.value("sluice_app_replicas_ready", "app", "_other")).hasValue(2);
    assertThat(scrape.value("sluice_app_requests_in_flight", "app", "_other")).hasValue(2);
    assertThat(scrape.value("sluice_app_requests_held", "app", "_other")).hasValue(1);
  }

  @Test
  void an_app_with_series_of_its_own_has_76_of_them() {
    series(10).meters(app("a"));

    Scrape scrape = scrape();
    assertThat(scrape.labelled("app", "a"))
        .as("6 status classes, 3 histograms (16 + 14 + 12 buckets, each with count, sum and max), 5 gauges, "
            + "5 replica failure reasons, 4 more counters")
        .hasSize(6 + (16 + 3) + (14 + 3) + (12 + 3) + 5 + 5 + 4);
  }

  @Test
  void a_held_requests_wait_is_recorded_when_it_gets_a_slot_or_is_withdrawn_and_a_request_never_held_is_not() {
    AppSeries series = series(10);
    AppRoute route = route(app("a"), series);
    ready(route, "a-1");
    ReplicaSlot first = route.tryAcquire();
    long now = System.nanoTime();
    HeldRequest served = route.hold(Runnable::run, now - TimeUnit.MILLISECONDS.toNanos(300), slot -> { });
    HeldRequest givenUp = route.hold(Runnable::run, now - TimeUnit.SECONDS.toNanos(3), slot -> { });

    assertThat(holdCount()).as("nothing has left the queue").isZero();
    first.release();
    assertThat(route.withdraw(served)).as("it got the slot").isFalse();
    assertThat(route.withdraw(givenUp)).isTrue();

    Scrape scrape = scrape();
    assertThat(holdCount()).isEqualTo(2);
    assertThat(holdBucket(scrape, "0.25")).isZero();
    assertThat(holdBucket(scrape, "0.5")).as("the one served after 300 ms").isEqualTo(1);
    assertThat(holdBucket(scrape, "2.5")).isEqualTo(1);
    assertThat(holdBucket(scrape, "5.0")).as("the one withdrawn after 3 s").isEqualTo(2);
    assertThat(scrape.value("sluice_app_hold_duration_seconds_sum", "app", "a").orElseThrow()).isBetween(3.3, 4.0);
  }

  @Test
  void a_cold_start_begins_with_the_first_request_held_with_no_ready_replica_and_ends_when_one_is_ready() {
    AppSeries series = series(10);
    AppRoute route = route(app("a"), series);
    long now = System.nanoTime();

    route.hold(Runnable::run, now - TimeUnit.SECONDS.toNanos(2), slot -> { });
    route.hold(Runnable::run, now, slot -> { });

    assertThat(coldStarts()).as("the second request waits for the same start").isEqualTo(1);
    assertThat(scrape().value("sluice_app_cold_start_duration_seconds_count", "app", "a")).hasValue(0);

    ready(route, "a-1");

    Scrape scrape = scrape();
    assertThat(scrape.value("sluice_app_cold_start_duration_seconds_count", "app", "a")).hasValue(1);
    assertThat(scrape.value("sluice_app_cold_start_duration_seconds_bucket", "app", "a", "le", "1.0")).hasValue(0);
    assertThat(scrape.value("sluice_app_cold_start_duration_seconds_bucket", "app", "a", "le", "2.5"))
        .as("timed from the first held request").hasValue(1);
  }

  @Test
  void a_request_held_because_every_ready_replica_is_busy_is_no_cold_start() {
    AppSeries series = series(10);
    AppRoute route = route(app("a"), series);
    ready(route, "a-1");
    ReplicaSlot busy = route.tryAcquire();

    route.hold(Runnable::run, System.nanoTime(), slot -> { });
    busy.release();
    ready(route, "a-2");

    assertThat(coldStarts()).isZero();
    assertThat(scrape().value("sluice_app_cold_start_duration_seconds_count", "app", "a")).hasValue(0);
  }

  @Test
  void a_replica_that_comes_back_after_its_app_had_none_ready_ends_a_second_cold_start() {
    AppSeries series = series(10);
    AppRoute route = route(app("a"), series);
    route.hold(Runnable::run, System.nanoTime(), slot -> { });
    ready(route, "a-1");

    route.markNotReady(new ReplicaId(app("a"), "a-1"));
    route.hold(Runnable::run, System.nanoTime(), slot -> { });
    ready(route, "a-2");

    assertThat(coldStarts()).isEqualTo(2);
    assertThat(scrape().value("sluice_app_cold_start_duration_seconds_count", "app", "a")).hasValue(2);
  }

  @Test
  void a_replicas_starts_readiness_and_failures_are_counted_from_its_providers_statuses_and_passed_on() {
    AppSeries series = series(10);
    route(app("a"), series);
    List<ReplicaStatus> passedOn = new ArrayList<>();
    ReplicaListener listener = series.countingReplicas(passedOn::add);
    ReplicaId id = new ReplicaId(app("a"), "a-1");
    List<ReplicaStatus> told = List.of(
        status(id, ReplicaState.STARTING, null),
        status(id, ReplicaState.STARTING, null),
        status(id, ReplicaState.READY, null),
        status(id, ReplicaState.NOT_READY, null),
        status(id, ReplicaState.READY, null),
        status(id, ReplicaState.RESTARTING, ReplicaFailure.CRASHED),
        status(id, ReplicaState.STARTING, null),
        status(id, ReplicaState.RESTARTING, ReplicaFailure.EXITED_BEFORE_READY),
        status(id, ReplicaState.STARTING, null),
        status(id, ReplicaState.STARTING, null),
        status(id, ReplicaState.FAILED, ReplicaFailure.EXITED_BEFORE_READY));

    told.forEach(listener::onStatus);

    assertThat(passedOn).containsExactlyElementsOf(told);
    Scrape scrape = scrape();
    assertThat(scrape.value("sluice_app_replica_starts_total", "app", "a")).hasValue(3);
    assertThat(scrape.value("sluice_app_replica_became_ready_total", "app", "a")).as("ready again is no start")
        .hasValue(1);
    assertThat(failures(scrape, "crashed")).isEqualTo(1);
    assertThat(failures(scrape, "exited_before_ready")).isEqualTo(2);
    assertThat(failures(scrape, "start_error")).isZero();
    assertThat(failures(scrape, "startup_timeout")).isZero();
    assertThat(failures(scrape, "liveness_failed")).isZero();
    assertThat(scrape.value("sluice_app_replicas_given_up_total", "app", "a")).hasValue(1);
  }

  @Test
  void a_replica_of_an_app_no_longer_deployed_is_passed_on_and_counted_nowhere() {
    AppSeries series = series(10);
    List<ReplicaStatus> passedOn = new ArrayList<>();
    ReplicaStatus stopped = status(new ReplicaId(app("gone"), "gone-1"), ReplicaState.STOPPED, null);

    series.countingReplicas(passedOn::add).onStatus(stopped);

    assertThat(passedOn).containsExactly(stopped);
    assertThat(scrape().labelled("app", "gone")).isEmpty();
  }

  @Test
  void a_negative_cap_is_refused_with_the_key_and_what_is_expected() {
    assertThatThrownBy(() -> new MetricsOptions(-1))
        .hasMessage("maxAppsWithSeries: -1 (expected: >= 0)");
  }

  private double holdCount() {
    return scrape().value("sluice_app_hold_duration_seconds_count", "app", "a").orElseThrow();
  }

  private static double holdBucket(Scrape scrape, String le) {
    return scrape.value("sluice_app_hold_duration_seconds_bucket", "app", "a", "le", le).orElseThrow();
  }

  private double coldStarts() {
    return scrape().value("sluice_app_cold_starts_total", "app", "a").orElseThrow();
  }

  private static double failures(Scrape scrape, String reason) {
    return scrape.value("sluice_app_replica_failures_total", "app", "a", "reason", reason).orElseThrow();
  }

  private static ReplicaStatus status(ReplicaId id, ReplicaState state, ReplicaFailure failure) {
    return new ReplicaStatus(id, state, Optional.empty(), 0, state.name(), Instant.EPOCH, Optional.ofNullable(failure));
  }

  private static double bucket(Scrape scrape, String le) {
    return scrape.value("sluice_app_request_duration_seconds_bucket", "app", "a", "le", le).orElseThrow();
  }

  private AppRoute route(AppId id, AppSeries series) {
    AppRoute route = new AppRoute(spec(id), 1, 10, new NodeDrain(), series.meters(id));
    routes.put(id, route);
    return route;
  }

  private static void ready(AppRoute route, String name) {
    route.markReady(new ReplicaId(route.spec().id(), name), SocketAddress.inetSocketAddress(1, "127.0.0.1"));
  }

  /** One slot per replica. */
  private static AppSpec spec(AppId id) {
    return new AppSpec(id, ConfigFormat.CEREBRIUM_TOML,
        new RuntimeSpec(new Command.Exec(List.of("server")), 8000, Optional.empty(), Optional.empty(),
            Optional.empty(), UpstreamProtocol.HTTP1),
        new ScalingSpec(0, 1, 1, ScalingMetric.CONCURRENCY_UTILIZATION, 1, 1, 0, Duration.ofSeconds(60),
            Duration.ofSeconds(60), Duration.ofSeconds(60)),
        HardwareSpec.CPU_DEFAULT, Map.of(), List.of(), true, Duration.ofSeconds(30),
        WebSocketSpec.DEFAULTS);
  }
}

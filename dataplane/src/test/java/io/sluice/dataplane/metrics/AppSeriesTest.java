package io.sluice.dataplane.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.autoscaler.replica.ReplicaId;
import io.sluice.config.AppId;
import io.sluice.config.AppSpec;
import io.sluice.config.Command;
import io.sluice.config.ConfigFormat;
import io.sluice.config.HardwareSpec;
import io.sluice.config.RuntimeSpec;
import io.sluice.config.ScalingMetric;
import io.sluice.config.ScalingSpec;
import io.sluice.config.UpstreamProtocol;
import io.sluice.dataplane.routing.AppRoute;
import io.sluice.dataplane.routing.NodeDrain;
import io.sluice.dataplane.support.Scrape;
import io.vertx.core.net.SocketAddress;
import java.time.Duration;
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
    int before = registry.getMeters().size();

    series.removed(app("gone"));

    assertThat(scrape().labelled("app", "gone")).isEmpty();
    assertThat(registry.getMeters()).as("its counters, its timer and its five gauges are gone")
        .hasSize(before - AppMeters.STATUS_CLASSES.length - 6);
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
  void a_negative_cap_is_refused_with_the_key_and_what_is_expected() {
    assertThatThrownBy(() -> new MetricsOptions(-1))
        .hasMessage("maxAppsWithSeries: -1 (expected: >= 0)");
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
        HardwareSpec.CPU_DEFAULT, Map.of(), List.of(), true, Duration.ofSeconds(30));
  }
}

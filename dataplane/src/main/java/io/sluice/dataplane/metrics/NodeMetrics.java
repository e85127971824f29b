package io.sluice.dataplane.metrics;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.sluice.dataplane.routing.AppDirectory;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.micrometer.VertxPrometheusOptions;
import java.util.Objects;
import java.util.UUID;

/**
 * One node's Prometheus registry, and what feeds it: Vert.x's own metrics and the per-app series ({@link AppSeries}),
 * scraped at {@code GET /metrics} on the admin port.
 *
 * <p>Vert.x meters what runs on Vert.x: the admin HTTP server ({@code vertx_http_server_*}), the HTTP client that
 * sends async runs and their webhooks ({@code vertx_http_client_*}), the worker pools ({@code vertx_pool_*}) and the
 * event bus ({@code vertx_eventbus_*}, once anything uses it). The public port is not a Vert.x HTTP server but a Netty
 * pipeline of Sluice's own ({@code PublicServer}), so {@code vertx_http_server_*} covers the admin port only; the
 * public port's traffic is in the {@code sluice_app_*} series.
 *
 * <p>Every node has a registry of its own, under a registry name of its own: Vert.x keeps its backends in one map per
 * JVM by that name, and a second node in the same JVM (a fleet in a test) would otherwise write into the first's.
 */
public final class NodeMetrics {

  private static final String TEXT_FORMAT = "text/plain; version=0.0.4; charset=utf-8";

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final String registryName = "sluice-" + UUID.randomUUID();
  private final MetricsOptions options;

  private NodeMetrics(MetricsOptions options) {
    this.options = Objects.requireNonNull(options, "options");
  }

  public static NodeMetrics create(MetricsOptions options) {
    return new NodeMetrics(options);
  }

  /** Turns on Vert.x's metrics in the options; the Vert.x built with them must also take {@link #vertxMetrics()}. */
  public VertxOptions enable(VertxOptions vertxOptions) {
    return vertxOptions.setMetricsOptions(new MicrometerMetricsOptions()
        .setEnabled(true)
        .setRegistryName(registryName)
        .setPrometheusOptions(new VertxPrometheusOptions().setEnabled(true)));
  }

  /** What makes Vert.x meter into this node's registry. */
  public VertxMetricsFactory vertxMetrics() {
    return new MicrometerMetricsFactory(registry);
  }

  /** The per-app series of the apps in the directory; an app's series go when it leaves the directory. */
  public AppSeries follow(AppDirectory directory) {
    AppSeries apps = new AppSeries(registry, options, id -> directory.get(id).orElse(null));
    directory.onRemoved(apps::removed);
    return apps;
  }

  /**
   * Adds {@code GET /metrics} to the admin router, open like {@code /health}: it is for Prometheus, and it carries no
   * secret (app names and counts only).
   */
  public Router mount(Router router) {
    router.get("/metrics").handler(this::scrape);
    return router;
  }

  /**
   * A scrape walks every meter (some thousands with many apps): it runs on a worker, not on an event loop that the
   * public port's requests share.
   */
  private void scrape(RoutingContext ctx) {
    ctx.vertx().executeBlocking(registry::scrape, false).onComplete(scraped -> {
      if (ctx.response().ended()) {
        return;
      }
      if (scraped.succeeded()) {
        ctx.response().putHeader(HttpHeaders.CONTENT_TYPE, TEXT_FORMAT).end(scraped.result());
      } else {
        ctx.fail(500, scraped.cause());
      }
    });
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }
}

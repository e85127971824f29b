package io.sluice.dataplane.runs;

import io.sluice.cluster.runs.FleetRuns;
import io.sluice.cluster.runs.RunRecord;
import io.sluice.cluster.state.FleetMap;
import io.sluice.config.AppId;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * A node's asynchronous runs: what the public port uses to accept a run and answer about it, and the worker that
 * carries out the runs due in this node's partitions. The fleet-wide state is {@link FleetRuns}'.
 *
 * <p>Every call returns a future completed off the event loop (Hazelcast's threads or a worker): callers on an event
 * loop hop back to it themselves.
 */
public final class AsyncRuns {

  private final Vertx vertx;
  private final FleetRuns store;
  private final RunOptions options;
  private final InstantSource clock;
  private final HttpClient http;
  private final Webhooks webhooks;
  private RunWorker worker;

  public AsyncRuns(Vertx vertx, FleetRuns store, RunOptions options, InstantSource clock, FleetMap credentials) {
    this.vertx = vertx;
    this.store = store;
    this.options = options;
    this.clock = clock;
    this.http = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true),
        new PoolOptions().setHttp1MaxSize(options.maxRunning()));
    this.webhooks = new Webhooks(http, credentials);
  }

  public RunOptions options() {
    return options;
  }

  /**
   * Starts taking up runs, on {@code context}, sent through the public port at {@code host:port} with a token for
   * each app from {@code tokens}.
   */
  public void start(Context context, String host, int port, Function<AppId, String> tokens) {
    worker = new RunWorker(vertx, context, store, options, clock, http, webhooks, tokens, host, port);
    worker.start();
  }

  /** Stops taking up runs; runs under way here are taken up elsewhere once their leases run out. */
  public void stop() {
    if (worker != null) {
      worker.stop();
    }
  }

  /** Stores a new run; completes once it is in the fleet with its backup, so that it can be acknowledged. */
  public Future<RunRecord> accept(AppId app, String method, String uri, List<Map.Entry<String, String>> headers,
      String webhook, byte[] body) {
    RunRecord run = RunRecord.accepted(UUID.randomUUID().toString(), app.project(), app.name(), method, uri,
        headers, webhook, clock.millis());
    return Future.fromCompletionStage(store.accept(run, body)).map(run);
  }

  public Future<Optional<RunRecord>> get(String id) {
    return Future.fromCompletionStage(store.get(id));
  }

  public Future<Optional<byte[]>> resultBody(String id) {
    return Future.fromCompletionStage(store.resultBody(id));
  }

  /** Cancels a run (see {@link FleetRuns#cancel}); the run as it is afterwards, empty when there is none. */
  public Future<Optional<RunRecord>> cancel(String id) {
    return vertx.executeBlocking(() -> store.cancel(id), false);
  }

  /** The project's webhook secret, made on first use (for the admin API). */
  public Future<String> webhookSecret(String project) {
    return vertx.executeBlocking(() -> webhooks.secret(project), false);
  }
}

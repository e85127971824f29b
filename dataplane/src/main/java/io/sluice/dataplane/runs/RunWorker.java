package io.sluice.dataplane.runs;

import io.sluice.cluster.runs.FleetRuns;
import io.sluice.cluster.runs.RunRecord;
import io.sluice.config.AppId;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes up the runs due in this node's partitions and carries them out: each run's request goes through this node's
 * own public port, so it is held, routed, limited and counted like any request (its {@code X-Request-Id} and
 * {@code X-Sluice-Run-Id} are the run's id, so that a replica can tell a repeat); its answer is stored as the run's
 * result, and its webhook, if it has one, is told.
 *
 * <p>While it works on a run it renews its lease; a run whose cancellation was asked is stopped at the next renewal.
 * When Sluice itself could not get the request to a replica (the app's queue was full, no replica freed up, the node
 * was draining) the run goes back to the queue and is tried again later, a few times; an answer from a replica,
 * whatever its status, is the result.
 */
final class RunWorker {

  private static final Logger log = LoggerFactory.getLogger(RunWorker.class);
  /** Sluice's own errors after which a run is tried again later. */
  private static final Set<String> RETRYABLE = Set.of("queue_full", "hold_timeout", "node_draining",
      "replica_unreachable", "replica_reset", "too_many_connections");
  private static final long MAX_RETRY_DELAY_MILLIS = 60_000;
  private static final long MAX_WEBHOOK_DELAY_MILLIS = 300_000;

  private final Vertx vertx;
  private final Context context;
  private final FleetRuns store;
  private final RunOptions options;
  private final InstantSource clock;
  private final HttpClient http;
  private final Webhooks webhooks;
  private final Function<AppId, String> tokens;
  private final String host;
  private final int port;
  private int running;
  private boolean polling;
  private long timer = -1;
  private boolean stopped;

  RunWorker(Vertx vertx, Context context, FleetRuns store, RunOptions options, InstantSource clock, HttpClient http,
      Webhooks webhooks, Function<AppId, String> tokens, String host, int port) {
    this.vertx = vertx;
    this.context = context;
    this.store = store;
    this.options = options;
    this.clock = clock;
    this.http = http;
    this.webhooks = webhooks;
    this.tokens = tokens;
    this.host = host;
    this.port = port;
  }

  void start() {
    context.runOnContext(v -> timer = vertx.setPeriodic(options.pollInterval().toMillis(), t -> poll()));
  }

  void stop() {
    context.runOnContext(v -> {
      stopped = true;
      if (timer >= 0) {
        vertx.cancelTimer(timer);
      }
    });
  }

  private void poll() {
    if (polling || stopped || running >= options.maxRunning()) {
      return;
    }
    polling = true;
    int room = options.maxRunning() - running;
    vertx.executeBlocking(() -> {
      List<RunRecord> claimed = new ArrayList<>();
      for (String id : store.dueHere(room)) {
        store.claim(id, options.lease()).ifPresent(claimed::add);
      }
      return claimed;
    }, false).onComplete(done -> {
      polling = false;
      if (done.failed()) {
        log.warn("Looking for due runs failed: {}", done.cause().toString());
        return;
      }
      done.result().forEach(this::work);
    });
  }

  private void work(RunRecord run) {
    running++;
    Future<?> worked = run.finished() ? notify(run) : execute(run);
    worked.onComplete(done -> {
      running--;
      if (done.failed()) {
        log.warn("Run {} failed here: {}", run.id(), done.cause().toString());
      }
    });
  }

  // --- Running the request -------------------------------------------------------------------------------------------

  /** One attempt at a run, under its lease. */
  private final class Attempt {
    final RunRecord run;
    HttpClientRequest request;
    boolean cancelled;
    boolean lost;
    long renewer = -1;

    Attempt(RunRecord run) {
      this.run = run;
    }

    void renew() {
      vertx.executeBlocking(() -> store.renew(run.id(), options.lease()), false).onSuccess(renewed -> {
        if (renewed.isEmpty()) {
          lost = true;
          stopRequest();
        } else if (renewed.get().cancelRequested()) {
          cancelled = true;
          stopRequest();
        }
      });
    }

    void stopRequest() {
      if (request != null) {
        request.reset();
      }
    }
  }

  private Future<Void> execute(RunRecord run) {
    Attempt attempt = new Attempt(run);
    attempt.renewer = vertx.setPeriodic(Math.max(100, options.lease().toMillis() / 3), t -> attempt.renew());
    return vertx.executeBlocking(() -> store.requestBody(run.id()), false)
        .compose(body -> send(attempt, body))
        .transform(outcome -> {
          vertx.cancelTimer(attempt.renewer);
          return conclude(attempt, outcome.succeeded() ? outcome.result() : null,
              outcome.failed() ? outcome.cause() : null);
        });
  }

  /** The replica's answer, read up to the result limit. */
  private record Answer(int status, List<Map.Entry<String, String>> headers, byte[] body, String sluiceError) {}

  private Future<Answer> send(Attempt attempt, byte[] body) {
    RunRecord run = attempt.run;
    RequestOptions request = new RequestOptions().setMethod(HttpMethod.valueOf(run.method()))
        .setHost(host).setPort(port).setURI(run.uri());
    run.headers().forEach(header -> request.addHeader(header.getKey(), header.getValue()));
    request.putHeader("authorization", "Bearer " + tokens.apply(new AppId(run.project(), run.app())))
        .putHeader("x-request-id", run.id())
        .putHeader("x-sluice-run-id", run.id());
    return http.request(request).compose(sent -> {
      attempt.request = sent;
      if (attempt.cancelled || attempt.lost) {
        sent.reset();
      }
      return sent.send(Buffer.buffer(body));
    }).compose(this::read);
  }

  private Future<Answer> read(HttpClientResponse response) {
    Promise<Answer> read = Promise.promise();
    Buffer body = Buffer.buffer();
    response.handler(chunk -> {
      if (body.length() + chunk.length() > options.maxResultBytes()) {
        response.request().reset();
        read.tryFail(new ResultTooLarge());
        return;
      }
      body.appendBuffer(chunk);
    });
    response.exceptionHandler(read::tryFail);
    response.endHandler(end -> {
      List<Map.Entry<String, String>> headers = new ArrayList<>();
      response.headers().forEach(header -> headers.add(Map.entry(header.getKey(), header.getValue())));
      read.tryComplete(new Answer(response.statusCode(), headers, body.getBytes(),
          response.getHeader("x-sluice-error")));
    });
    return read.future();
  }

  private static final class ResultTooLarge extends RuntimeException {
    ResultTooLarge() {
      super(null, null, false, false);
    }
  }

  /** Stores what the attempt came to, and tells the webhook at once when the run is over and has one. */
  private Future<Void> conclude(Attempt attempt, Answer answer, Throwable failure) {
    RunRecord run = attempt.run;
    if (attempt.lost) {
      return Future.succeededFuture();
    }
    long now = clock.millis();
    UnaryOperator<RunRecord> change;
    byte[] resultBody = null;
    if (attempt.cancelled) {
      change = r -> r.ended(RunRecord.CANCELLED, "cancelled: the caller cancelled the run while it ran", now);
    } else if (failure instanceof ResultTooLarge) {
      change = r -> r.ended(RunRecord.FAILED, "result_too_large: the answer is larger than "
          + options.maxResultBytes() + " bytes", now);
    } else if (answer != null && (answer.sluiceError() == null || !RETRYABLE.contains(answer.sluiceError()))) {
      resultBody = answer.body();
      change = r -> r.answered(answer.status(), resultHeaders(answer.headers()), answer.body().length, now);
    } else {
      String why = answer != null ? answer.sluiceError() + " (" + answer.status() + ")"
          : "could not reach the node's public port: " + failure;
      if (run.attempts() >= options.maxAttempts()) {
        change = r -> r.ended(RunRecord.FAILED, "gave_up: tried " + run.attempts() + " times; last: " + why, now);
      } else {
        long delay = Math.min(MAX_RETRY_DELAY_MILLIS, 1000L << Math.min(16, run.attempts() - 1));
        change = r -> r.retryAt(now + delay, why);
      }
    }
    byte[] stored = resultBody;
    return vertx.executeBlocking(() -> {
      Optional<RunRecord> released = store.release(run.id(), change, stored);
      if (released.isPresent() && released.get().finished() && released.get().webhookPending()) {
        return store.claim(run.id(), options.lease());
      }
      return Optional.<RunRecord>empty();
    }, false).compose(next -> next.isPresent() ? notify(next.get()) : Future.succeededFuture());
  }

  /** The headers worth keeping with a result: the replica's own, without those of the hop. */
  private static List<Map.Entry<String, String>> resultHeaders(List<Map.Entry<String, String>> headers) {
    return headers.stream().filter(header -> {
      String name = header.getKey().toLowerCase();
      return !name.equals("connection") && !name.equals("transfer-encoding") && !name.equals("keep-alive")
          && !name.equals("content-length");
    }).toList();
  }

  // --- The webhook ---------------------------------------------------------------------------------------------------

  private Future<Void> notify(RunRecord run) {
    return Future.fromCompletionStage(store.resultBody(run.id()), context)
        .compose(result -> vertx.executeBlocking(() -> {
          byte[] payload = Webhooks.payload(run, result.orElse(null)).toBuffer().getBytes();
          return Map.entry(webhooks.secret(run.project()), payload);
        }, false))
        .compose(signed -> webhooks.deliver(run, signed.getValue(), signed.getKey(), clock.millis() / 1000)
            .transform(outcome -> {
              int attempts = run.webhookAttempts() + 1;
              boolean delivered = outcome.succeeded() && outcome.result() / 100 == 2;
              boolean giveUp = !delivered && attempts >= options.webhookAttempts();
              Integer status = outcome.succeeded() ? outcome.result() : null;
              String error = delivered ? null : outcome.succeeded() ? "the webhook answered " + outcome.result()
                  : String.valueOf(outcome.cause().getMessage());
              long next = clock.millis() + Math.min(MAX_WEBHOOK_DELAY_MILLIS, 1000L << Math.min(16, attempts - 1));
              return vertx.executeBlocking(() -> store.release(run.id(),
                  r -> r.webhookTried(delivered, status, error, next, giveUp), null), false);
            }))
        .mapEmpty();
  }
}

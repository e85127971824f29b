package io.sluice.dataplane.proxy;

import io.sluice.autoscaler.metrics.ConcurrencyAccumulator;
import io.sluice.dataplane.routing.AppRoute;
import io.sluice.dataplane.routing.HeldRequest;
import io.sluice.dataplane.routing.ReplicaSlot;
import io.vertx.core.Vertx;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.StreamResetException;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.SocketAddress;
import java.net.ConnectException;
import java.util.concurrent.TimeoutException;

/**
 * One request to an app, from arrival to its last byte, on its own event loop: take a replica slot or wait in the
 * app's hold queue for one, stream the request to the replica and its answer back, and account for it exactly once.
 *
 * <p>Bodies are piped both ways with back-pressure, never buffered; a held request's body stays unread (paused)
 * until it has a slot. The request id travels to the replica and back. Failures turn into JSON errors here and
 * nowhere else: no slot within the hold time or a full queue 503 with {@code Retry-After}, replica unreachable or
 * reset 502, replica too slow 504. Whatever ends the exchange — the answer sent, an error, the client gone — goes
 * through {@link #finish()}, which gives the slot back and closes the meter once.
 */
final class Exchange {

  private static final String X_FORWARDED_FOR = "X-Forwarded-For";
  private static final String X_FORWARDED_HOST = "X-Forwarded-Host";
  private static final String X_FORWARDED_PROTO = "X-Forwarded-Proto";

  private final Vertx vertx;
  private final HttpClient client;
  private final HttpServerRequest request;
  private final HttpServerResponse response;
  private final AppRoute route;
  private final String uri;
  private final String requestId;
  private final ConcurrencyAccumulator meter;
  private final long holdTimeoutMillis;
  private final boolean hasBody;
  private ReplicaSlot slot;
  private HeldRequest held;
  private long holdTimer = -1;
  private HttpClientRequest upstream;
  private boolean finished;

  Exchange(Vertx vertx, HttpClient client, HttpServerRequest request, AppRoute route, String uri, String requestId,
      ConcurrencyAccumulator meter, long holdTimeoutMillis) {
    this.vertx = vertx;
    this.client = client;
    this.request = request;
    this.response = request.response();
    this.route = route;
    this.uri = uri;
    this.requestId = requestId;
    this.meter = meter;
    this.holdTimeoutMillis = holdTimeoutMillis;
    this.hasBody = hasBody(request.headers());
  }

  void start() {
    long now = System.nanoTime();
    meter.change(now, 1);
    meter.request(now);
    response.endHandler(v -> finish());
    response.closeHandler(v -> clientGone());
    if (hasBody) {
      request.pause();
    }
    ReplicaSlot free = route.tryAcquire();
    if (free != null) {
      forward(free);
    } else if (route.failed()) {
      ErrorReply.send(response, 503, "no_ready_replica", "app " + route.spec().id()
          + " has no replica: its deploy failed; see `bin/sluice apps`", requestId, 5);
    } else {
      hold();
    }
  }

  private void hold() {
    held = route.hold(vertx.getOrCreateContext(), System.nanoTime(), this::slotFreed);
    if (held == null) {
      ErrorReply.send(response, 503, "queue_full", "app " + route.spec().id()
          + " has too many requests waiting for a replica; retry shortly", requestId, 1);
      return;
    }
    holdTimer = vertx.setTimer(holdTimeoutMillis, t -> {
      if (route.withdraw(held)) {
        ErrorReply.send(response, 503, "hold_timeout", "no replica of " + route.spec().id()
            + " was free within " + holdTimeoutMillis + " ms; retry shortly", requestId, 1);
      }
    });
  }

  private void slotFreed(ReplicaSlot freed) {
    vertx.cancelTimer(holdTimer);
    if (finished) {
      freed.release();
      return;
    }
    forward(freed);
  }

  private void forward(ReplicaSlot taken) {
    slot = taken;
    RequestOptions options = new RequestOptions()
        .setServer(taken.replica().address())
        .setMethod(request.method())
        .setURI(uri)
        .setIdleTimeout(route.timeoutMillis());
    client.request(options).onComplete(created -> {
      if (created.failed()) {
        fail(created.cause());
        return;
      }
      upstream = created.result();
      if (finished) {
        upstream.reset();
        return;
      }
      copyRequestHeaders(upstream.headers());
      var sent = hasBody ? upstream.send(request) : upstream.send();
      sent.onComplete(answered -> {
        if (answered.failed()) {
          fail(answered.cause());
        } else {
          relay(answered.result());
        }
      });
    });
  }

  private void relay(HttpClientResponse answer) {
    if (finished) {
      return;
    }
    response.setStatusCode(answer.statusCode());
    response.setStatusMessage(answer.statusMessage());
    MultiMap headers = response.headers();
    HopByHopHeaders.copyEndToEnd(answer.headers(), headers, false);
    headers.set(ErrorReply.REQUEST_ID, requestId);
    if (!headers.contains(HttpHeaders.CONTENT_LENGTH)) {
      response.setChunked(true);
    }
    answer.pipe().endOnFailure(false).to(response).onComplete(done -> {
      if (done.failed() && !response.ended()) {
        // The replica broke off mid-answer: a clean end would pass a truncated body off as whole.
        response.reset();
        finish();
      }
    });
  }

  private void clientGone() {
    if (held != null) {
      route.withdraw(held);
      vertx.cancelTimer(holdTimer);
    }
    if (upstream != null && !finished) {
      upstream.reset();
    }
    finish();
  }

  /** The one place an exchange ends: the slot goes back and the meter closes, once. */
  private void finish() {
    if (finished) {
      return;
    }
    finished = true;
    meter.change(System.nanoTime(), -1);
    if (slot != null) {
      slot.release();
    }
  }

  private void copyRequestHeaders(MultiMap to) {
    MultiMap from = request.headers();
    HopByHopHeaders.copyEndToEnd(from, to, true);
    to.set(ErrorReply.REQUEST_ID, requestId);
    SocketAddress remote = request.remoteAddress();
    if (remote != null) {
      String prior = from.get(X_FORWARDED_FOR);
      String clientAddress = remote.hostAddress();
      to.set(X_FORWARDED_FOR, prior == null ? clientAddress : prior + ", " + clientAddress);
    }
    HostAndPort authority = request.authority();
    if (authority != null && !from.contains(X_FORWARDED_HOST)) {
      to.set(X_FORWARDED_HOST, authority.toString());
    }
    if (!from.contains(X_FORWARDED_PROTO)) {
      to.set(X_FORWARDED_PROTO, request.scheme() == null ? "http" : request.scheme());
    }
  }

  private void fail(Throwable cause) {
    if (upstream != null) {
      upstream.reset();
    }
    String app = route.spec().id().toString();
    if (cause instanceof TimeoutException) {
      ErrorReply.send(response, 504, "replica_timeout",
          "the replica of " + app + " did not answer within " + route.timeoutMillis() + " ms", requestId);
    } else if (cause instanceof ConnectException || cause instanceof io.netty.channel.ConnectTimeoutException) {
      ErrorReply.send(response, 502, "replica_unreachable",
          "the replica of " + app + " could not be reached", requestId, 1);
    } else if (cause instanceof HttpClosedException || cause instanceof StreamResetException) {
      ErrorReply.send(response, 502, "replica_reset",
          "the replica of " + app + " closed the connection before answering", requestId, 1);
    } else {
      ErrorReply.send(response, 502, "bad_gateway", "the request to the replica of " + app + " failed", requestId, 1);
    }
    finish();
  }

  private static boolean hasBody(MultiMap headers) {
    if (headers.contains(HttpHeaders.TRANSFER_ENCODING)) {
      return true;
    }
    String length = headers.get(HttpHeaders.CONTENT_LENGTH);
    return length != null && !length.equals("0");
  }
}

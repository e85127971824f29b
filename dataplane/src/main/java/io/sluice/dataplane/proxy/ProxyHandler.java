package io.sluice.dataplane.proxy;

import io.sluice.dataplane.routing.AppDirectory;
import io.sluice.dataplane.routing.AppRoute;
import io.sluice.dataplane.routing.NodeDrain;
import io.sluice.dataplane.routing.ReplicaSlot;
import io.sluice.dataplane.routing.RequestTarget;
import io.sluice.dataplane.routing.RoutedReplica;
import io.vertx.core.Handler;
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
 * The public request path: resolve the app, pick a ready replica, and stream the request to it and its answer back.
 *
 * <p>Bodies are piped both ways with back-pressure, never buffered. The request id travels to the replica and back.
 * Failures turn into JSON errors here and nowhere else: unknown app 404, no ready replica 503 with
 * {@code Retry-After}, replica unreachable or reset 502, replica too slow 504.
 */
public final class ProxyHandler implements Handler<HttpServerRequest> {

  private static final String X_FORWARDED_FOR = "X-Forwarded-For";
  private static final String X_FORWARDED_HOST = "X-Forwarded-Host";
  private static final String X_FORWARDED_PROTO = "X-Forwarded-Proto";

  private final AppDirectory directory;
  private final NodeDrain drain;
  private final HttpClient client;

  public ProxyHandler(AppDirectory directory, NodeDrain drain, HttpClient client) {
    this.directory = directory;
    this.drain = drain;
    this.client = client;
  }

  @Override
  public void handle(HttpServerRequest request) {
    String requestId = request.headers().get(ErrorReply.REQUEST_ID);
    if (requestId == null || !RequestIds.acceptable(requestId)) {
      requestId = RequestIds.next();
    }
    HttpServerResponse response = request.response();
    if (drain.draining()) {
      response.putHeader(HttpHeaders.CONNECTION, HttpHeaders.CLOSE);
      ErrorReply.send(response, 503, "node_draining", "this node is shutting down; retry on another node",
          requestId, 1);
      return;
    }
    RequestTarget target = directory.resolve(request.uri());
    if (target.error() != null) {
      refuse(request, target.error(), requestId);
      return;
    }
    AppRoute route = target.route();
    RoutedReplica replica = route.pick();
    if (replica == null) {
      ErrorReply.send(response, 503, "no_ready_replica",
          "app " + route.spec().id() + " has no ready replica yet; retry shortly", requestId, 1);
      return;
    }
    boolean hasBody = hasBody(request);
    if (hasBody) {
      request.pause();
    }
    ReplicaSlot slot = replica.acquire(drain);
    forward(request, route, slot, target.upstreamUri(), requestId, hasBody);
  }

  private void forward(
      HttpServerRequest request, AppRoute route, ReplicaSlot slot, String uri, String requestId, boolean hasBody) {
    RequestOptions options = new RequestOptions()
        .setServer(slot.replica().address())
        .setMethod(request.method())
        .setURI(uri)
        .setIdleTimeout(route.timeoutMillis());
    HttpServerResponse response = request.response();
    client.request(options).onComplete(created -> {
      if (created.failed()) {
        slot.release();
        fail(response, created.cause(), route, requestId);
        return;
      }
      HttpClientRequest upstream = created.result();
      response.closeHandler(closed -> upstream.reset());
      copyRequestHeaders(request, upstream.headers(), requestId);
      var sent = hasBody ? upstream.send(request) : upstream.send();
      sent.onComplete(answered -> {
        if (answered.failed()) {
          slot.release();
          fail(response, answered.cause(), route, requestId);
          return;
        }
        relay(answered.result(), response, slot, requestId);
      });
    });
  }

  private static void relay(HttpClientResponse upstream, HttpServerResponse response, ReplicaSlot slot, String id) {
    if (response.closed()) {
      slot.release();
      return;
    }
    response.setStatusCode(upstream.statusCode());
    response.setStatusMessage(upstream.statusMessage());
    MultiMap headers = response.headers();
    HopByHopHeaders.copyEndToEnd(upstream.headers(), headers, false);
    headers.set(ErrorReply.REQUEST_ID, id);
    if (!headers.contains(HttpHeaders.CONTENT_LENGTH)) {
      response.setChunked(true);
    }
    upstream.pipe().endOnFailure(false).to(response).onComplete(done -> {
      slot.release();
      if (done.failed() && !response.ended()) {
        // The replica broke off mid-answer: a clean end would pass a truncated body off as whole.
        response.reset();
      }
    });
  }

  private static void copyRequestHeaders(HttpServerRequest request, MultiMap to, String requestId) {
    MultiMap from = request.headers();
    HopByHopHeaders.copyEndToEnd(from, to, true);
    to.set(ErrorReply.REQUEST_ID, requestId);
    SocketAddress remote = request.remoteAddress();
    if (remote != null) {
      String prior = from.get(X_FORWARDED_FOR);
      String client = remote.hostAddress();
      to.set(X_FORWARDED_FOR, prior == null ? client : prior + ", " + client);
    }
    HostAndPort authority = request.authority();
    if (authority != null && !from.contains(X_FORWARDED_HOST)) {
      to.set(X_FORWARDED_HOST, authority.toString());
    }
    if (!from.contains(X_FORWARDED_PROTO)) {
      to.set(X_FORWARDED_PROTO, request.scheme() == null ? "http" : request.scheme());
    }
  }

  private static boolean hasBody(HttpServerRequest request) {
    MultiMap headers = request.headers();
    if (headers.contains(HttpHeaders.TRANSFER_ENCODING)) {
      return true;
    }
    String length = headers.get(HttpHeaders.CONTENT_LENGTH);
    return length != null && !length.equals("0");
  }

  private static void refuse(HttpServerRequest request, RequestTarget.Error error, String requestId) {
    if (error == RequestTarget.Error.BAD_PATH) {
      ErrorReply.send(request.response(), 400, "bad_path",
          "the path has dot segments or encoded separators; send a plain path", requestId);
    } else {
      ErrorReply.send(request.response(), 404, "app_not_found",
          "no app at " + firstSegments(request.path()) + "; app URLs are /v4/{project}/{app}/{path}", requestId);
    }
  }

  /** Echoes at most the project and app part of the path, so that a 404 does not reflect arbitrary input. */
  private static String firstSegments(String path) {
    if (path == null) {
      return "/";
    }
    int cut = 0;
    for (int slashes = 0; cut < path.length() && slashes < 4; cut++) {
      if (path.charAt(cut) == '/' && ++slashes == 4) {
        break;
      }
    }
    String shown = path.substring(0, Math.min(cut, 120));
    return shown.replaceAll("[^A-Za-z0-9/_.-]", "?");
  }

  private static void fail(HttpServerResponse response, Throwable cause, AppRoute route, String requestId) {
    if (cause instanceof TimeoutException) {
      ErrorReply.send(response, 504, "replica_timeout", "the replica of " + route.spec().id()
          + " did not answer within " + route.timeoutMillis() + " ms", requestId);
    } else if (cause instanceof ConnectException || cause instanceof io.netty.channel.ConnectTimeoutException) {
      ErrorReply.send(response, 502, "replica_unreachable",
          "the replica of " + route.spec().id() + " could not be reached", requestId, 1);
    } else if (cause instanceof HttpClosedException || cause instanceof StreamResetException) {
      ErrorReply.send(response, 502, "replica_reset",
          "the replica of " + route.spec().id() + " closed the connection before answering", requestId, 1);
    } else {
      ErrorReply.send(response, 502, "bad_gateway",
          "the request to the replica of " + route.spec().id() + " failed", requestId, 1);
    }
  }
}

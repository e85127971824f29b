package io.sluice.dataplane.proxy;

import io.sluice.dataplane.routing.AppDirectory;
import io.sluice.dataplane.routing.NodeDrain;
import io.sluice.dataplane.routing.RequestTarget;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/**
 * The public request path of one event loop: refuse what cannot be routed, and hand the rest to an {@link Exchange}
 * that holds, proxies and meters it.
 */
public final class ProxyHandler implements Handler<HttpServerRequest> {

  private final Vertx vertx;
  private final AppDirectory directory;
  private final NodeDrain drain;
  private final HttpClient client;
  private final int loop;
  private final long holdTimeoutMillis;

  /**
   * @param loop this event loop's index, which selects the apps' meters it may touch
   * @param holdTimeoutMillis how long a request may wait for a replica slot before it gets 503
   */
  public ProxyHandler(
      Vertx vertx, AppDirectory directory, NodeDrain drain, HttpClient client, int loop, long holdTimeoutMillis) {
    this.vertx = vertx;
    this.directory = directory;
    this.drain = drain;
    this.client = client;
    this.loop = loop;
    this.holdTimeoutMillis = holdTimeoutMillis;
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
    if (target.error() == RequestTarget.Error.BAD_PATH) {
      ErrorReply.send(response, 400, "bad_path",
          "the path has dot segments or encoded separators; send a plain path", requestId);
      return;
    }
    if (target.error() != null) {
      ErrorReply.send(response, 404, "app_not_found",
          "no app at " + firstSegments(request.path()) + "; app URLs are /v4/{project}/{app}/{path}", requestId);
      return;
    }
    new Exchange(vertx, client, request, target.route(), target.upstreamUri(), requestId,
        target.route().meter(loop), holdTimeoutMillis).start();
  }

  /** Echoes at most the project and app part of the path, so that a 404 does not reflect arbitrary input. */
  private static String firstSegments(String path) {
    if (path == null) {
      return "/";
    }
    int cut = 0;
    for (int slashes = 0; cut < path.length(); cut++) {
      if (path.charAt(cut) == '/' && ++slashes == 4) {
        break;
      }
    }
    return path.substring(0, Math.min(cut, 120)).replaceAll("[^A-Za-z0-9/_.-]", "?");
  }
}

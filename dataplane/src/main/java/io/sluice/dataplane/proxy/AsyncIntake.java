package io.sluice.dataplane.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.sluice.cluster.runs.RunRecord;
import io.sluice.dataplane.records.RequestRecord;
import io.sluice.dataplane.routing.AppRoute;
import io.sluice.dataplane.runs.AsyncRuns;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Takes in a request made asynchronous ({@code ?async=true}, or {@code X-Sluice-Async: true}): reads its body (up to
 * the runs' own limit), stores it as a run in the fleet, and answers 202 with the run's id and where to ask about it,
 * once the run is stored with its backup. The run itself is carried out later, by whichever node's partition holds
 * it, through the same hold queue, routing and limits as any request.
 *
 * <p>What is kept of the request: method, the public URI without the {@code async} parameter, and the headers but
 * the credential (the run goes with a token of the app's own), those of the hop and Sluice's own.
 */
final class AsyncIntake implements ClientWork {

  static final String ASYNC_HEADER = "x-sluice-async";
  static final String WEBHOOK_HEADER = "x-sluice-webhook";
  /**
   * Looked for on every request: an AsciiString keeps the case-insensitive hash Netty looks names up by, where a
   * String's is worked out again at each lookup.
   */
  private static final AsciiString ASYNC = AsciiString.cached(ASYNC_HEADER);
  private static final Set<String> NOT_KEPT = Set.of("host", "authorization", "content-length", "expect",
      ASYNC_HEADER, WEBHOOK_HEADER, "x-request-id");

  private final ClientConnection client;
  private final ProxyLoop loop;
  private final AsyncRuns runs;
  private final HttpRequest head;
  private final AppRoute route;
  private final String requestId;
  private final boolean keepAlive;
  private final long startNanos = System.nanoTime();
  private final long startMillis = System.currentTimeMillis();
  private ByteBuf body;
  private long bytesIn;
  private String runId;
  private boolean requestComplete;
  private boolean finished;

  AsyncIntake(ClientConnection client, ProxyLoop loop, AsyncRuns runs, HttpRequest head, AppRoute route,
      String requestId, boolean keepAlive, boolean hasBody) {
    this.client = client;
    this.loop = loop;
    this.runs = runs;
    this.head = head;
    this.route = route;
    this.requestId = requestId;
    this.keepAlive = keepAlive;
    this.requestComplete = !hasBody;
  }

  /** Whether the caller asked for its request to run asynchronously. */
  static boolean wanted(HttpRequest request) {
    String uri = request.uri();
    int query = uri.indexOf('?');
    return (query >= 0 && asyncParamAt(uri, query) >= 0)
        || "true".equalsIgnoreCase(request.headers().get(ASYNC));
  }

  @Override
  public void start() {
    long limit = runs.options().maxBodyBytes();
    if (io.netty.handler.codec.http.HttpUtil.getContentLength(head, 0L) > limit) {
      fail(413, "body_too_large", "an asynchronous run's body may be " + limit + " bytes at most");
      return;
    }
    String webhook = head.headers().get(WEBHOOK_HEADER);
    if (webhook != null && !validWebhook(webhook)) {
      fail(400, "bad_webhook", "X-Sluice-Webhook must be an absolute http:// or https:// URL");
      return;
    }
    if (ClientConnection.expectsContinue(head)) {
      client.channel().writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
    }
    body = client.channel().alloc().buffer();
    if (requestComplete) {
      store();
    }
  }

  @Override
  public void onRequestContent(HttpContent content) {
    if (content instanceof LastHttpContent) {
      requestComplete = true;
    }
    if (finished || body == null) {
      content.release();
      return;
    }
    if (content.decoderResult().isFailure()) {
      content.release();
      fail(400, "malformed_request", "the request body is not valid HTTP/1.1 chunked encoding");
      return;
    }
    if (body.readableBytes() + content.content().readableBytes() > runs.options().maxBodyBytes()) {
      content.release();
      fail(413, "body_too_large", "an asynchronous run's body may be " + runs.options().maxBodyBytes()
          + " bytes at most");
      return;
    }
    bytesIn += content.content().readableBytes();
    body.writeBytes(content.content());
    content.release();
    if (requestComplete) {
      store();
    }
  }

  private void store() {
    byte[] bytes = ByteBufUtil.getBytes(body);
    body.release();
    body = null;
    runs.accept(route.spec().id(), head.method().name(), publicUri(head.uri()), keptHeaders(head.headers()),
            head.headers().get(WEBHOOK_HEADER), bytes)
        .onComplete(stored -> client.channel().eventLoop().execute(() -> {
          if (stored.succeeded()) {
            accepted(stored.result());
          } else {
            fail(503, "runs_unavailable", "the run could not be stored in the fleet; retry shortly", 1);
          }
        }));
  }

  private void accepted(RunRecord run) {
    if (finished) {
      return;
    }
    runId = run.id();
    String status = "/v1/runs/" + run.id();
    byte[] json = new JsonObject().put("run_id", run.id()).put("state", run.state())
        .put("status_url", status).put("result_url", status + "/result")
        .encode().getBytes(StandardCharsets.UTF_8);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.ACCEPTED,
        Unpooled.wrappedBuffer(json));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, json.length)
        .set(HttpHeaderNames.LOCATION, status)
        .set(ProxyHeaders.X_REQUEST_ID, requestId);
    end(response);
  }

  private void fail(int status, String code, String message) {
    fail(status, code, message, 0);
  }

  private void fail(int status, String code, String message, int retryAfterSeconds) {
    if (finished) {
      return;
    }
    end(ErrorReply.response(status, code, message, requestId, retryAfterSeconds, !keepAlive || !requestComplete));
  }

  private void end(FullHttpResponse response) {
    finished = true;
    record(response.status().code(), response.headers().get(ErrorReply.SLUICE_ERROR),
        response.content().readableBytes());
    if (body != null) {
      body.release();
      body = null;
    }
    if (!keepAlive || !requestComplete) {
      client.endWith(response);
    } else {
      client.channel().writeAndFlush(response);
    }
    client.exchangeEnded(this);
  }

  @Override
  public void requestBodyTimedOut(String why) {
    fail(408, "request_timeout", why);
  }

  @Override
  public void clientGone() {
    if (!finished) {
      finished = true;
      record(0, null, 0);
      if (body != null) {
        body.release();
        body = null;
      }
      client.exchangeEnded(this);
    }
  }

  /**
   * The intake's own record, of kind {@code async}: what was answered (202 with the run's id, or Sluice's error; 0 when
   * the client went first), the body taken in. No replica served it: the run, carried out later, has a record of its
   * own with the same run id, on the node that carried it out.
   */
  private void record(int status, String errorCode, long bytesOut) {
    long micros = Math.max(0, System.nanoTime() - startNanos) / 1000;
    loop.recorder().record(new RequestRecord(requestId, route.spec().id().project(), route.spec().id().name(),
        "async", head.method().name(), publicUri(head.uri()), status, startMillis, micros, 0, -1, -1, null,
        loop.node(), bytesIn, bytesOut, null, runId, errorCode, head.headers().get(Exchange.TRACEPARENT), null,
        client.remoteHost(), null));
  }

  /** The URI the run will request: the caller's, without the {@code async} parameter. */
  static String publicUri(String uri) {
    int query = uri.indexOf('?');
    if (query < 0) {
      return uri;
    }
    StringBuilder kept = new StringBuilder(uri.length());
    for (String param : uri.substring(query + 1).split("&")) {
      if (!param.isEmpty() && !param.equals("async") && !param.startsWith("async=")) {
        kept.append(kept.length() == 0 ? '?' : '&').append(param);
      }
    }
    return uri.substring(0, query) + kept;
  }

  private static int asyncParamAt(String uri, int query) {
    for (int at = uri.indexOf("async=true", query); at >= 0; at = uri.indexOf("async=true", at + 1)) {
      char before = uri.charAt(at - 1);
      int end = at + "async=true".length();
      if ((before == '?' || before == '&') && (end == uri.length() || uri.charAt(end) == '&')) {
        return at;
      }
    }
    return -1;
  }

  private static List<Map.Entry<String, String>> keptHeaders(HttpHeaders headers) {
    HttpHeaders copy = new DefaultHttpHeaders().set(headers);
    HopByHopHeaders.strip(copy);
    List<Map.Entry<String, String>> kept = new ArrayList<>();
    for (Map.Entry<String, String> header : copy) {
      if (!NOT_KEPT.contains(header.getKey().toLowerCase()) && !header.getKey().toLowerCase().startsWith("x-http2-")) {
        kept.add(Map.entry(header.getKey(), header.getValue()));
      }
    }
    return kept;
  }

  private static boolean validWebhook(String url) {
    try {
      URI parsed = new URI(url);
      return ("http".equals(parsed.getScheme()) || "https".equals(parsed.getScheme())) && parsed.getHost() != null;
    } catch (java.net.URISyntaxException e) {
      return false;
    }
  }
}

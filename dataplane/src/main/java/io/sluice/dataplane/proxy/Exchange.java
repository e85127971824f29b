package io.sluice.dataplane.proxy;

import static io.sluice.dataplane.proxy.ProxyHeaders.X_FORWARDED_FOR;
import static io.sluice.dataplane.proxy.ProxyHeaders.X_FORWARDED_HOST;
import static io.sluice.dataplane.proxy.ProxyHeaders.X_FORWARDED_PROTO;
import static io.sluice.dataplane.proxy.ProxyHeaders.X_REQUEST_ID;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.sluice.autoscaler.metrics.ConcurrencyAccumulator;
import io.sluice.dataplane.metrics.AppMeters;
import io.sluice.dataplane.records.CapturedPayload;
import io.sluice.dataplane.records.RequestRecord;
import io.sluice.dataplane.records.WebSocketEnd;
import io.sluice.dataplane.routing.AppRoute;
import io.sluice.dataplane.routing.HeldRequest;
import io.sluice.dataplane.routing.ReplicaSlot;
import java.net.ConnectException;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * One request to an app, from its head to the last byte of its answer, on the client connection's event loop: take a
 * replica slot or wait in the app's hold queue for one, take a connection to the replica from the loop's pool, forward
 * the request and then the answer, and account for it exactly once.
 *
 * <p>The request and answer heads are the codecs' own objects, changed in place (hop-by-hop headers out, request id
 * and {@code X-Forwarded-*} in) and written on; body chunks are written on as the same buffers, and between HTTP/1.1
 * sides a head goes with its body's end as one message when both came in one read. Back-pressure: a side
 * that cannot take more stops the other side's reads until it can. A held request's body is not read (beyond what
 * already arrived) until it has a slot. Failures become JSON errors: no slot within the hold time or a full queue 503
 * with {@code Retry-After}, replica unreachable or reset 502, replica silent for the app's timeout 504; once the
 * answer has started, a failure can only cut the client connection, so that a truncated body is never passed off as
 * whole. Whatever ends the exchange goes through {@link #finish()}, which gives the slot back and closes the meter once.
 */
final class Exchange implements ClientWork {

  private static final AsciiString X_SLUICE_RUN_ID = AsciiString.cached("x-sluice-run-id");
  static final AsciiString TRACEPARENT = AsciiString.cached("traceparent");
  private static final AsciiString HTTP = AsciiString.cached("http");
  private static final AsciiString HTTPS = AsciiString.cached("https");
  private static final java.util.Set<HttpMethod> IDEMPOTENT = java.util.Set.of(HttpMethod.GET, HttpMethod.HEAD,
      HttpMethod.OPTIONS);
  private static final int MAX_REROUTES = 3;

  private final ClientConnection client;
  private final Channel down;
  private final ProxyLoop loop;
  private final HttpRequest head;
  private final AppRoute route;
  private final String upstreamUri;
  private final String requestId;
  private final ConcurrencyAccumulator meter;
  private final AppMeters requestMeters;
  private final boolean hasBody;
  private final boolean bodiless;
  private final boolean http10;
  private final boolean upgrade;
  /** A gRPC call: Sluice's own errors are gRPC statuses, and its {@code grpc-timeout} is a deadline here too. */
  private final boolean grpc;
  /** The replica speaks HTTP/2 (h2c): the request goes as a stream of a shared connection. */
  private final boolean http2Upstream;
  /**
   * HTTP/1.1 on both sides: a head and its body's end that arrive in the same read go on as one message. With HTTP/2
   * on either side the codecs frame each message themselves, and one message was slower: gRPC calls at one stream cost
   * the node 116 µs of CPU each against 89 (bench/grpc).
   */
  private final boolean wholeMessages;
  private boolean keepAlive;
  private boolean expectContinue;
  private boolean requestComplete;
  private ArrayDeque<HttpContent> pendingBody;
  private ReplicaSlot slot;
  private HeldRequest held;
  private ScheduledFuture<?> timer;
  private ScheduledFuture<?> deadline;
  private long deadlineNanos;
  private Channel up;
  private UpstreamHandler upHandler;
  private boolean reused;
  private boolean retried;
  private int reroutes;
  private boolean headPrepared;
  /**
   * The request's head is ready for its replica but not yet written: the body's end most likely follows in the same
   * read, and the two then go as one message (one trip through the pipeline and the encoder, one buffer).
   */
  private boolean headWaiting;
  /** The answer's head, relayed but not yet written, for the same reason; written when the read ends without it. */
  private HttpResponse answerHead;
  private boolean upstreamKeepAlive;
  private boolean skippingInformational;
  private boolean responseStarted;
  private boolean finished;
  private long lastUpstreamNanos;
  private long bodyBytes;
  private long startNanos;
  private long startMillis;
  /** When the request got its replica slot, and when the replica's first byte of answer came; 0 until then. */
  private long slotNanos;
  private long firstByteNanos;
  private long bytesOut;
  private String errorCode;
  /** The public path the client asked for (the head's URI is rewritten for the replica). */
  private final String publicUri;
  private final String caller;
  /** The start of the bodies and their headers, when the app captures payloads; else null. */
  private final CapturedPayload captured;
  /** When a WebSocket's 101 went out: its latency ends there, not when the socket closes. */
  private long switchedNanos;
  /** How the WebSocket this exchange became ended; null until it has. */
  private WebSocketEnd websocketEnd;
  /** The status sent to the client, 0 while none has been. */
  private int status;

  /**
   * @param hasBody whether a body follows the head (as the connection already worked out)
   * @param upgrade a WebSocket upgrade: it gets a replica connection of its own, which the socket then keeps
   */
  Exchange(ClientConnection client, ProxyLoop loop, HttpRequest head, AppRoute route, String upstreamUri,
      String requestId, boolean keepAlive, boolean hasBody, boolean upgrade, boolean grpc, String caller) {
    this.client = client;
    this.down = client.channel();
    this.loop = loop;
    this.head = head;
    this.route = route;
    this.upstreamUri = upstreamUri;
    this.requestId = requestId;
    this.keepAlive = keepAlive;
    this.meter = loop.meter(route);
    this.requestMeters = route.requestMeters();
    this.hasBody = hasBody;
    this.bodiless = head.method() == HttpMethod.HEAD;
    this.http10 = head.protocolVersion() == HttpVersion.HTTP_1_0;
    this.upgrade = upgrade;
    this.grpc = grpc;
    this.caller = caller;
    this.publicUri = head.uri();
    this.captured = route.spec().capture().enabled()
        ? new CapturedPayload(route.spec().capture().maxBytes(), head.headers().entries()) : null;
    this.http2Upstream = route.spec().runtime().protocol().http2();
    this.wholeMessages = !http2Upstream && !client.isStream();
    this.expectContinue = ClientConnection.expectsContinue(head);
  }

  @Override
  public void start() {
    long now = System.nanoTime();
    startNanos = now;
    startMillis = System.currentTimeMillis();
    meter.change(now, 1);
    meter.request(now);
    if (grpc) {
      long timeout = GrpcStatus.timeoutNanos(head.headers().get(GrpcStatus.GRPC_TIMEOUT));
      if (timeout >= 0) {
        deadlineNanos = now + timeout;
        deadline = loop.eventLoop().schedule(this::deadlinePassed, timeout, TimeUnit.NANOSECONDS);
      }
    }
    ReplicaSlot free = route.tryAcquire();
    if (free != null) {
      forward(free);
    } else if (route.failed()) {
      fail(503, "no_ready_replica", "app " + route.spec().id()
          + " has no replica: its deploy failed; see `bin/sluice apps`", 5);
    } else {
      hold();
    }
  }

  // --- Waiting for a slot ----------------------------------------------------------------------------------------------

  private void hold() {
    held = route.hold(loop.eventLoop(), System.nanoTime(), this::slotFreed);
    if (held == null) {
      fail(503, "queue_full", "app " + route.spec().id()
          + " has too many requests waiting for a replica; retry shortly", 1);
      return;
    }
    if (hasBody) {
      client.pauseReading(true);
    }
    timer = loop.eventLoop().schedule(this::holdExpired, loop.holdTimeoutMillis(), TimeUnit.MILLISECONDS);
  }

  /** The gRPC call's deadline passed here: whether held or at its replica, it ends (and the replica's stream too). */
  private void deadlinePassed() {
    deadline = null;
    if (finished) {
      return;
    }
    if (held != null) {
      route.withdraw(held);
      held = null;
    }
    fail(504, "deadline_exceeded", "the call's deadline (grpc-timeout) passed "
        + (slot == null ? "while it waited for a replica of " + route.spec().id() : "before its replica answered"), 0);
  }

  private void holdExpired() {
    if (!finished && held != null && route.withdraw(held)) {
      fail(503, "hold_timeout", "no replica of " + route.spec().id() + " was free within "
          + loop.holdTimeoutMillis() + " ms; retry shortly", 1);
    }
  }

  private void slotFreed(ReplicaSlot freed) {
    cancelTimer();
    if (finished) {
      freed.release();
      return;
    }
    held = null;
    forward(freed);
  }

  // --- The request, to the replica -------------------------------------------------------------------------------------

  private void forward(ReplicaSlot taken) {
    slot = taken;
    if (slotNanos == 0) {
      slotNanos = System.nanoTime();
    }
    if (expectContinue) {
      // Answered here, once the request has a replica: a held client does not send its body before it is wanted.
      expectContinue = false;
      down.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
    }
    if (upgrade) {
      loop.pool().connect(taken.replica().socketAddress(), this);
    } else if (http2Upstream) {
      loop.pool().openStream(taken.replica().socketAddress(), this);
    } else {
      loop.pool().acquire(taken.replica().socketAddress(), this);
    }
    if (up == null && !finished && hasBody && !requestComplete) {
      // Still connecting: the body waits in the socket rather than here. (Pausing costs a system call each way, so
      // it is only done when a pooled connection was not there at once.)
      client.pauseReading(true);
    }
  }

  void upstreamReady(Channel channel, UpstreamHandler handler, boolean pooled) {
    if (finished) {
      loop.pool().release(channel, handler);
      return;
    }
    up = channel;
    upHandler = handler;
    reused = pooled;
    handler.attach(this);
    prepareHead();
    headWaiting = false;
    // Writes whose outcome nobody waits for take the void promise: one allocation less each; a failed write still
    // reaches the handlers as an exception.
    if (wholeMessages && pendingBody != null && pendingBody.size() == 1
        && pendingBody.peek() instanceof LastHttpContent end) {
      pendingBody.poll();
      channel.write(wholeRequest(end), channel.voidPromise());
    } else if (pendingBody != null && !pendingBody.isEmpty()) {
      channel.write(head, channel.voidPromise());
      for (HttpContent content; (content = pendingBody.poll()) != null; ) {
        channel.write(content, channel.voidPromise());
      }
    } else if ((retried || reroutes > 0) && !hasBody && requestComplete) {
      // The request's end already went to a connection that failed: it is sent again.
      channel.write(head, channel.voidPromise());
      channel.write(LastHttpContent.EMPTY_LAST_CONTENT, channel.voidPromise());
    } else if (wholeMessages && !requestComplete && client.reading()) {
      headWaiting = true;
    } else {
      channel.write(head, channel.voidPromise());
    }
    // With a pooled connection this runs inside the client's read, and the body that came in the same read follows:
    // one flush when the read ends sends head and body in one write.
    client.flushLater(channel);
    lastUpstreamNanos = System.nanoTime();
    if (!requestComplete) {
      client.pauseReading(!writableAfterFlush(channel));
    }
  }

  /** The head and the body's end as one message; the head itself stays as it is, to be sent again on a retry. */
  private DefaultFullHttpRequest wholeRequest(LastHttpContent end) {
    return new DefaultFullHttpRequest(head.protocolVersion(), head.method(), head.uri(), end.content(),
        head.headers(), end.trailingHeaders());
  }

  /** The client's read ended: a head still waiting for its body's end goes without it. */
  @Override
  public void clientReadEnded() {
    if (headWaiting && up != null && !finished) {
      headWaiting = false;
      up.write(head, up.voidPromise());
      client.flushLater(up);
    }
  }

  /**
   * Whether a side can take more after a write. When the write took it past its high-water mark
   * ({@link PublicServer#WRITE_WATER_MARK}), what it holds goes to the socket now rather than when the read ends, and
   * only a socket that does not take it all holds the other side back. Checked before that flush, a write past the
   * mark stopped and restarted the other side's reads (two epoll_ctl calls) though the socket then took it at once.
   */
  private static boolean writableAfterFlush(Channel channel) {
    if (channel.isWritable()) {
      return true;
    }
    channel.flush();
    return channel.isWritable();
  }

  private void prepareHead() {
    HttpHeaders headers = head.headers();
    if (headPrepared) {
      // Sent again, to another replica.
      headers.set(HttpHeaderNames.HOST, slot.replica().hostHeader());
      return;
    }
    headPrepared = true;
    String host = headers.get(HttpHeaderNames.HOST);
    // HTTP/2 lets one TE value through, and gRPC servers want it: "trailers" says the client reads trailers.
    boolean trailers = http2Upstream && headers.containsValue(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS, true);
    HopByHopHeaders.strip(headers);
    if (trailers) {
      headers.set(HttpHeaderNames.TE, HttpHeaderValues.TRAILERS);
    }
    headers.remove(HttpHeaderNames.EXPECT);
    if (upgrade) {
      headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
      headers.set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
    }
    if (route.spec().authRequired()) {
      // Sluice checked it; the replica has no use for the caller's key, and its logs should not hold one.
      headers.remove(HttpHeaderNames.AUTHORIZATION);
    }
    headers.set(HttpHeaderNames.HOST, slot.replica().hostHeader());
    headers.set(X_REQUEST_ID, requestId);
    String remote = client.remoteHost();
    if (remote != null) {
      String prior = headers.get(X_FORWARDED_FOR);
      headers.set(X_FORWARDED_FOR, prior == null ? remote : prior + ", " + remote);
    }
    if (host != null && !headers.contains(X_FORWARDED_HOST)) {
      headers.set(X_FORWARDED_HOST, host);
    }
    if (!headers.contains(X_FORWARDED_PROTO)) {
      headers.set(X_FORWARDED_PROTO, client.secure() ? HTTPS : HTTP);
    }
    if (hasBody && !headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
      headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    }
    if (deadline != null) {
      // The replica gets what is left of the caller's deadline, not the whole of it again.
      headers.set(GrpcStatus.GRPC_TIMEOUT, GrpcStatus.timeoutValue(deadlineNanos - System.nanoTime()));
    }
    head.setUri(upstreamUri);
    head.setProtocolVersion(HttpVersion.HTTP_1_1);
  }

  /** A chunk of the request body from the client; the last one ends the request. */
  @Override
  public void onRequestContent(HttpContent content) {
    if (content.decoderResult().isFailure()) {
      // A broken chunk: the decoder ends the body here, and passing that on would hand the replica a truncated
      // body that looks whole. Nothing more can be read on this connection.
      content.release();
      keepAlive = false;
      fail(400, "malformed_request", "the request body is not valid HTTP/1.1 chunked encoding", 0);
      return;
    }
    if (content instanceof LastHttpContent) {
      requestComplete = true;
    }
    if (finished) {
      content.release();
      return;
    }
    bodyBytes += content.content().readableBytes();
    if (captured != null) {
      captured.requestBody(content.content());
    }
    if (bodyBytes > loop.limits().maxBodyBytes()) {
      content.release();
      fail(413, "body_too_large", "the request body is larger than " + loop.limits().maxBodyBytes() + " bytes", 0);
      return;
    }
    if (up == null) {
      if (pendingBody == null) {
        pendingBody = new ArrayDeque<>(2);
      }
      pendingBody.add(content);
      return;
    }
    if (headWaiting) {
      headWaiting = false;
      if (content instanceof LastHttpContent end) {
        up.write(wholeRequest(end), up.voidPromise());
      } else {
        up.write(head, up.voidPromise());
        up.write(content, up.voidPromise());
      }
    } else {
      up.write(content, up.voidPromise());
    }
    client.flushLater(up);
    if (!requestComplete && !writableAfterFlush(up)) {
      client.pauseReading(true);
    }
  }

  void upstreamWritable() {
    if (!requestComplete && held == null) {
      client.pauseReading(false);
    }
  }

  // --- The answer, to the client ---------------------------------------------------------------------------------------

  void onUpstream(Object msg) {
    lastUpstreamNanos = loop.now();
    if (firstByteNanos == 0) {
      firstByteNanos = System.nanoTime();
    }
    if (msg instanceof HttpResponse response) {
      if (response.decoderResult().isFailure()) {
        ReferenceCountUtil.release(msg);
        replicaBroke(null);
        return;
      }
      if (msg instanceof FullHttpResponse whole && response.status().codeClass() != HttpStatusClass.INFORMATIONAL) {
        // A whole answer in one HTTP/2 HEADERS frame (gRPC's trailers-only status, say): it goes on as one.
        relayHead(whole);
        if (captured != null) {
          captured.responseBody(whole.content());
        }
        ChannelFuture written = down.writeAndFlush(whole);
        if ((!keepAlive || !requestComplete) && !client.isStream()) {
          written.addListener(ChannelFutureListener.CLOSE);
        }
        answered();
        return;
      }
      if (upgrade && response.status().code() == 101) {
        switchToWebSocket(response);
        return;
      }
      if (response.status().codeClass() == HttpStatusClass.INFORMATIONAL) {
        // 100 Continue and friends: Sluice answered the client's Expect itself; the final answer follows.
        skippingInformational = true;
        ReferenceCountUtil.release(msg);
        return;
      }
      relayHead(response);
      if (wholeMessages) {
        answerHead = response;
      } else {
        down.write(response, down.voidPromise());
      }
    }
    if (msg instanceof HttpContent content) {
      if (skippingInformational) {
        skippingInformational = !(content instanceof LastHttpContent);
        content.release();
        return;
      }
      if (!responseStarted) {
        content.release();
        return;
      }
      bytesOut += content.content().readableBytes();
      if (captured != null) {
        captured.responseBody(content.content());
      }
      if (content instanceof LastHttpContent end) {
        HttpResponse waiting = answerHead;
        answerHead = null;
        HttpContent last = waiting == null ? end : new DefaultFullHttpResponse(
            waiting.protocolVersion(), waiting.status(), end.content(), waiting.headers(), end.trailingHeaders());
        if ((!keepAlive || !requestComplete) && !client.isStream()) {
          down.writeAndFlush(last).addListener(ChannelFutureListener.CLOSE);
        } else {
          // Kept alive, nothing waits on this write: the void promise saves an allocation on every answer.
          down.writeAndFlush(last, down.voidPromise());
        }
        answered();
      } else {
        writeAnswerHead();
        down.write(content, down.voidPromise());
        upHandler.flushLater(down);
        if (!writableAfterFlush(down)) {
          up.config().setAutoRead(false);
        }
      }
    } else if (!(msg instanceof HttpResponse)) {
      // HTTP/2 frames that have no HTTP/1.1 object (a reset, say): the stream's end follows as a close.
      ReferenceCountUtil.release(msg);
    }
  }

  /**
   * The replica took the upgrade: its 101 goes to the client, and both connections become one WebSocket, which keeps
   * this exchange (and its slot) until it closes.
   */
  private void switchToWebSocket(HttpResponse response) {
    cancelTimer();
    responseStarted = true;
    status = 101;
    switchedNanos = System.nanoTime();
    HttpHeaders headers = response.headers();
    boolean extensions = headers.contains(HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS);
    HopByHopHeaders.strip(headers);
    headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
    headers.set(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET);
    headers.set(X_REQUEST_ID, requestId);
    down.writeAndFlush(response);
    Channel channel = up;
    upHandler.detach();
    up = null;
    upHandler = null;
    client.upgraded();
    WebSocketRelay.start(this, loop, down, channel, route.spec().websocket(), extensions);
  }

  /** The WebSocket this exchange became has closed, as {@code end} says. */
  void tunnelEnded(WebSocketEnd end) {
    websocketEnd = end;
    finish();
  }

  /** The replica's read ended: an answer's head still waiting for its end goes without it. */
  void upstreamReadEnded() {
    if (answerHead != null) {
      writeAnswerHead();
      upHandler.flushLater(down);
    }
  }

  private void writeAnswerHead() {
    if (answerHead != null) {
      down.write(answerHead, down.voidPromise());
      answerHead = null;
    }
  }

  private void relayHead(HttpResponse response) {
    responseStarted = true;
    HttpHeaders headers = response.headers();
    if (captured != null) {
      captured.responseHeaders(headers.entries());
    }
    // A connection that carried an upgrade request is not reused, whatever the replica answered.
    upstreamKeepAlive = HttpUtil.isKeepAlive(response) && !upgrade;
    HopByHopHeaders.strip(headers);
    headers.set(X_REQUEST_ID, requestId);
    status = response.status().code();
    boolean noBody = bodiless || status == 204 || status == 304;
    if (!noBody && !headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
      if (http10) {
        keepAlive = false;
      } else {
        headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
      }
    }
    if (!keepAlive || !requestComplete) {
      // A body still on its way in cannot be told apart from the next request: this connection ends with the answer.
      keepAlive = false;
      headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    } else if (http10) {
      headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
    response.setProtocolVersion(HttpVersion.HTTP_1_1);
  }

  @Override
  public void clientWritable() {
    if (up != null && responseStarted) {
      up.config().setAutoRead(true);
    }
  }

  /** The answer went out whole: the replica connection goes back to the pool if it can carry another request. */
  private void answered() {
    Channel channel = up;
    UpstreamHandler handler = upHandler;
    up = null;
    upHandler = null;
    handler.detach();
    channel.config().setAutoRead(true);
    if (upstreamKeepAlive && requestComplete) {
      loop.pool().release(channel, handler);
    } else {
      channel.close();
    }
    finish();
  }

  // --- Failures --------------------------------------------------------------------------------------------------------

  void upstreamFailed(Throwable cause) {
    if (finished) {
      return;
    }
    String app = route.spec().id().toString();
    if (cause instanceof ConnectException || cause instanceof ConnectTimeoutException) {
      slot.replica().markUnreachable(System.nanoTime());
      // Nothing was sent (a body that came in meanwhile waits in pendingBody): any request can go to another replica.
      if (!upgrade && reroute()) {
        return;
      }
      fail(502, "replica_unreachable", "the replica of " + app + " could not be reached", 1);
    } else {
      fail(502, "bad_gateway", "the request to the replica of " + app + " failed", 1);
    }
  }

  /** The replica connection closed or failed while this exchange used it. */
  void upstreamClosed(Throwable cause) {
    if (finished) {
      return;
    }
    up = null;
    upHandler = null;
    if (!responseStarted && reused && !retried && !hasBody) {
      // A pooled connection the replica closed as the request went out: nothing was answered, and a request without
      // a body can go again, once, on a new connection.
      retried = true;
      cancelTimer();
      if (http2Upstream) {
        loop.pool().openStream(slot.replica().socketAddress(), this);
      } else {
        loop.pool().connect(slot.replica().socketAddress(), this);
      }
      return;
    }
    if (!responseStarted && !hasBody && !upgrade && IDEMPOTENT.contains(head.method()) && reroute()) {
      // The replica went away with the request unanswered (its node died, say): as nginx's proxy_next_upstream, a
      // request that is safe to repeat goes to another replica.
      return;
    }
    replicaBroke(cause);
  }

  /**
   * Sends the request to another replica, or holds it for one, after its replica failed it before answering; at most
   * {@link #MAX_REROUTES} times. Returns false when it may not go again.
   */
  private boolean reroute() {
    if (reroutes >= MAX_REROUTES) {
      return false;
    }
    reroutes++;
    if (up != null) {
      detachAndClose();
    }
    up = null;
    upHandler = null;
    reused = false;
    retried = false;
    cancelTimer();
    slot.release();
    slot = null;
    ReplicaSlot free = route.tryAcquire();
    if (free != null) {
      forward(free);
    } else {
      hold();
    }
    return true;
  }

  private void replicaBroke(Throwable cause) {
    if (up != null) {
      detachAndClose();
    }
    fail(502, "replica_reset", "the replica of " + route.spec().id() + " closed the connection before answering", 1);
  }

  /**
   * Called by the loop's sweep: 504 once the replica has sent nothing for the app's timeout. A sweep rather than a
   * timer per request, which cost a scheduled task and its cancellation on every request.
   */
  @Override
  public void checkTimeouts(long now) {
    if (finished || up == null || (grpc && responseStarted) || now - lastUpstreamNanos <= TimeUnit.MILLISECONDS.toNanos(route.timeoutMillis())) {
      return;
    }
    detachAndClose();
    fail(504, "replica_timeout", "the replica of " + route.spec().id() + " did not answer within "
        + route.timeoutMillis() + " ms", 0);
  }

  /** The client stopped sending its body while Sluice was reading it. */
  @Override
  public void requestBodyTimedOut(String why) {
    fail(408, "request_timeout", why, 0);
  }

  @Override
  public void clientGone() {
    if (finished) {
      return;
    }
    if (held != null) {
      route.withdraw(held);
    }
    if (up != null) {
      detachAndClose();
    }
    releasePending();
    finish();
  }

  /**
   * Answers the client with a JSON error, or cuts the connection when the answer has already begun. The connection
   * closes after the error when the client's body is still coming, since it cannot be told apart from a next request.
   */
  private void fail(int status, String code, String message, int retryAfterSeconds) {
    if (finished) {
      return;
    }
    if (up != null) {
      detachAndClose();
    }
    if (responseStarted) {
      if (grpc) {
        // The answer's headers went out: trailers still can, and end the call with a status rather than a reset.
        down.writeAndFlush(GrpcStatus.trailers(GrpcStatus.codeFor(status), code, message));
      } else {
        down.close();
      }
    } else {
      this.status = status;
      this.errorCode = code;
      boolean close = !keepAlive || (hasBody && !requestComplete);
      Object reply = grpc ? GrpcStatus.reply(status, code, message, requestId, retryAfterSeconds)
          : ErrorReply.response(status, code, message, requestId, retryAfterSeconds, close);
      if (close) {
        client.endWith(reply);
      } else {
        down.writeAndFlush(reply);
      }
    }
    releasePending();
    finish();
  }

  private void detachAndClose() {
    upHandler.detach();
    up.close();
    up = null;
    upHandler = null;
  }

  private void releasePending() {
    if (pendingBody != null) {
      pendingBody.forEach(ReferenceCountUtil::release);
      pendingBody.clear();
    }
  }

  private void cancelTimer() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  private void record(long end) {
    long held = (slotNanos == 0 ? end : slotNanos) - startNanos;
    boolean answered = firstByteNanos != 0 && slotNanos != 0;
    HttpHeaders headers = head.headers();
    loop.recorder().record(new RequestRecord(requestId, route.spec().id().project(), route.spec().id().name(),
        upgrade ? "websocket" : grpc ? "grpc" : "http", head.method().name(), publicUri, status, startMillis,
        (end - startNanos) / 1000, held / 1000, answered ? (firstByteNanos - slotNanos) / 1000 : -1,
        answered ? Math.max(0, end - firstByteNanos) / 1000 : -1,
        slot == null ? null : slot.replica().id().name(), loop.node(), bodyBytes, bytesOut, caller,
        caller == null ? null : headers.get(X_SLUICE_RUN_ID), errorCode, headers.get(TRACEPARENT),
        captured == null ? null : captured.json(loop.secretValues(route.spec().id().project())),
        client.remoteHost(), websocketEnd));
  }

  /** The one place an exchange ends: the slot goes back, the meter closes and the request is counted, once. */
  private void finish() {
    if (finished) {
      return;
    }
    finished = true;
    cancelTimer();
    if (deadline != null) {
      deadline.cancel(false);
      deadline = null;
    }
    long now = System.nanoTime();
    meter.change(now, -1);
    if (slot != null) {
      slot.release();
    }
    // After the release, so that a scrape that sees the request counted sees it off its replica too.
    long end = status == 101 ? switchedNanos : now;
    requestMeters.ended(status, end - startNanos);
    record(end);
    client.exchangeEnded(this);
  }
}

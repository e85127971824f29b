package io.sluice.dataplane.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.sluice.config.ClientLimits;
import io.sluice.dataplane.records.RequestRecord;
import io.sluice.dataplane.routing.AppRoute;
import io.sluice.dataplane.routing.RequestTarget;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * One client connection to the public port. Requests on it are served one at a time, in order: a request that a
 * pipelining client sends before the previous answer is complete waits here (and the connection stops being read
 * once a few have piled up). Everything that cannot be routed, is not allowed in, or breaks a limit is answered
 * here; the rest becomes an {@link Exchange}.
 *
 * <p>Who may call: an app that requires auth (the default) opens to a credential of its own project only. A request
 * without a valid credential gets 401 whatever its path, and a valid credential of another project gets the same 404
 * as an app that does not exist, so that neither tells an outsider which apps exist.
 *
 * <p>Timeouts: the connection notes what it waits for from the client (a request head, more of a body, or the next
 * request) and since when; its loop's sweep calls {@link #checkTimeouts} and the connection ends itself when a wait
 * has lasted too long. A slow client is cut off whether it sends nothing or trickles bytes.
 *
 * <p>What is refused here is recorded here ({@link #refuse}), with what is known of the request and none of its
 * headers; a request that becomes an exchange is recorded by it, so the path that serves pays nothing for this.
 */
final class ClientConnection extends ChannelInboundHandlerAdapter implements ProxyLoop.Swept {

  private static final int MAX_QUEUED_MESSAGES = 64;
  private static final String WWW_AUTHENTICATE = "Bearer realm=\"sluice\"";
  /** Names the app of a request whose path cannot (a stock gRPC client's): {@code project/app}. */
  private static final AsciiString X_SLUICE_APP = AsciiString.cached("x-sluice-app");

  /** What the connection waits for from its client. */
  private static final int WAITING_FOR_NOTHING = 0;
  private static final int WAITING_FOR_NEXT_REQUEST = 1;
  private static final int WAITING_FOR_HEAD = 2;
  private static final int WAITING_FOR_BODY = 3;
  /** Answered and half-closed: reading what the client still sends, so that it sees the answer and not a reset. */
  private static final int LINGERING = 4;
  private static final long LINGER_NANOS = TimeUnit.SECONDS.toNanos(2);

  private final ProxyLoop loop;
  private final boolean stream;
  private final boolean secure;
  private final ChannelInboundHandlerAdapter activity;
  private Channel channel;
  private String remoteHost;
  private ClientWork current;
  private ArrayDeque<Object> queued;
  private Channel flushTarget;
  private boolean replaying;
  private boolean reading;
  private boolean exchangePaused;
  private int waitingFor = WAITING_FOR_HEAD;
  private long waitingSince;
  /** When the head of the request being begun started to arrive (as far as the connection's clock knows). */
  private long headSince;
  private long bodySince;
  private long bodyBytesIn;
  /** The request being read is a gRPC call: Sluice's own errors for it are gRPC statuses. */
  private boolean grpc;
  /** An HTTP/2 stream's client has sent all of its request (its stream is half-closed on its side). */
  private boolean requestEnded;

  /**
   * @param stream an HTTP/2 stream rather than a connection: it carries one exchange, and is closed once that ends
   * @param secure the client connected with TLS
   */
  ClientConnection(ProxyLoop loop, boolean stream, boolean secure) {
    this.loop = loop;
    this.stream = stream;
    this.secure = secure;
    this.activity = new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        bytesArrived(msg instanceof ByteBuf bytes ? bytes.readableBytes() : 0);
        ctx.fireChannelRead(msg);
      }
    };
  }

  /** The handler that goes before the HTTP decoder, to see bytes arrive before they make a whole message. */
  ChannelInboundHandlerAdapter activity() {
    return activity;
  }

  /** The client's first request asked for {@code Upgrade: h2c} and got it: its streams are served from now on. */
  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof HttpServerUpgradeHandler.UpgradeEvent) {
      waitingFor = WAITING_FOR_NOTHING;
      loop.closed(this);
      ctx.pipeline().remove(activity);
      ctx.pipeline().remove(this);
    }
    ctx.fireUserEventTriggered(evt);
  }

  /** Added to a connection already open: it starts at once. */
  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    if (ctx.channel().isActive()) {
      activate(ctx);
    }
  }

  /** Taken out for HTTP/2 before any request: the loop's sweep forgets it. */
  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (channel != null && current == null) {
      loop.closed(this);
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    activate(ctx);
    ctx.fireChannelActive();
  }

  private void activate(ChannelHandlerContext ctx) {
    if (channel != null) {
      return;
    }
    channel = ctx.channel();
    if (channel.remoteAddress() instanceof InetSocketAddress remote && remote.getAddress() != null) {
      remoteHost = remote.getAddress().getHostAddress();
    }
    waitingSince = System.nanoTime();
    loop.opened(this);
  }

  private void bytesArrived(int bytes) {
    if (waitingFor == WAITING_FOR_NEXT_REQUEST) {
      waitingFor = WAITING_FOR_HEAD;
      waitingSince = System.nanoTime();
    } else if (waitingFor == WAITING_FOR_BODY) {
      waitingSince = loop.now();
      bodyBytesIn += bytes;
    }
  }

  private void bodyTimedOut(String why) {
    waitingFor = WAITING_FOR_NOTHING;
    if (current != null) {
      current.requestBodyTimedOut(why);
    } else {
      channel.close();
    }
  }

  private void awaitBody() {
    waitingFor = WAITING_FOR_BODY;
    waitingSince = System.nanoTime();
    bodySince = waitingSince;
    bodyBytesIn = 0;
  }

  /**
   * Ends the connection when what it waits for from the client has not come in time, and the current exchange when
   * its replica has gone silent.
   */
  @Override
  public void checkTimeouts(long now) {
    if (current != null) {
      current.checkTimeouts(now);
    }
    long waited = now - waitingSince;
    ClientLimits limits = loop.limits();
    switch (waitingFor) {
      case WAITING_FOR_NEXT_REQUEST -> {
        if (waited > limits.keepAliveTimeout().toNanos()) {
          // Silently, as idle keep-alive connections are closed: a client may be sending a request right now.
          waitingFor = WAITING_FOR_NOTHING;
          channel.close();
        }
      }
      case WAITING_FOR_HEAD -> {
        if (waited > limits.headerTimeout().toNanos()) {
          waitingFor = WAITING_FOR_NOTHING;
          headSince = waitingSince;
          String requestId = RequestIds.next();
          refuse(null, null, error(408, "request_timeout", "the request head did not arrive within "
              + limits.headerTimeout().toMillis() + " ms", requestId, 0, true), 408, "request_timeout", requestId,
              true);
        }
      }
      case WAITING_FOR_BODY -> {
        long grace = limits.bodyIdleTimeout().toNanos();
        long receiving = now - bodySince;
        if (!channel.config().isAutoRead()) {
          // Sluice itself stopped reading (held, or the replica is slower): the client is not the one stalling,
          // and the measure of its rate starts again when reading does.
          awaitBody();
        } else if (waited > grace) {
          bodyTimedOut("the request body stalled for " + limits.bodyIdleTimeout().toMillis() + " ms");
        } else if (limits.minBodyBytesPerSecond() > 0 && receiving > grace
            && bodyBytesIn * 1_000_000_000L < limits.minBodyBytesPerSecond() * receiving) {
          bodyTimedOut("the request body arrives slower than " + limits.minBodyBytesPerSecond() + " bytes/s");
        }
      }
      case LINGERING -> {
        if (waited > LINGER_NANOS) {
          channel.close();
        }
      }
      default -> { }
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (stream && msg instanceof LastHttpContent) {
      requestEnded = true;
    }
    if (waitingFor == LINGERING) {
      ReferenceCountUtil.release(msg);
      if (stream && requestEnded) {
        channel.close();
      }
      return;
    }
    reading = true;
    if ((queued != null && !queued.isEmpty()) || (current != null && msg instanceof HttpRequest)) {
      queue(msg);
    } else {
      dispatch(msg);
    }
  }

  private void dispatch(Object msg) {
    if (msg instanceof HttpRequest request) {
      begin(request);
    } else if (msg instanceof HttpContent content && current != null) {
      if (msg instanceof LastHttpContent && waitingFor == WAITING_FOR_BODY) {
        waitingFor = WAITING_FOR_NOTHING;
      }
      current.onRequestContent(content);
    } else {
      if (msg instanceof HttpContent content && content.decoderResult().isFailure()) {
        // The body of a request that was already answered is broken: nothing more can be read here.
        channel.close();
      }
      if (msg instanceof LastHttpContent && waitingFor == WAITING_FOR_BODY) {
        waitingFor = WAITING_FOR_NOTHING;
      }
      // The rest of the body of a request that was already answered (an error, or a replica that answered early).
      ReferenceCountUtil.release(msg);
    }
  }

  private void queue(Object msg) {
    if (queued == null) {
      queued = new ArrayDeque<>();
    }
    queued.add(msg);
    updateAutoRead();
  }

  /** An exchange stops reading of its body (held, or its replica is slower than the client) and starts it again. */
  void pauseReading(boolean paused) {
    exchangePaused = paused;
    updateAutoRead();
  }

  private void updateAutoRead() {
    if (waitingFor == LINGERING) {
      return;
    }
    boolean read = !exchangePaused && (queued == null || queued.size() < MAX_QUEUED_MESSAGES);
    if (channel.config().isAutoRead() != read) {
      channel.config().setAutoRead(read);
    }
  }

  private void begin(HttpRequest request) {
    headSince = waitingSince;
    String requestId = request.headers().get(ProxyHeaders.X_REQUEST_ID);
    if (requestId == null || !RequestIds.acceptable(requestId)) {
      requestId = RequestIds.next();
    }
    grpc = stream && GrpcStatus.isGrpc(request.headers());
    DecoderResult decoded = request.decoderResult();
    if (decoded.isFailure()) {
      refuseMalformed(request, decoded.cause(), requestId);
      return;
    }
    HttpHeaders headers = request.headers();
    long contentLength = HttpUtil.getContentLength(request, 0L);
    boolean hasBody = contentLength > 0 || HttpUtil.isTransferEncodingChunked(request);
    if (hasBody && !grpc) {
      awaitBody();
    } else {
      // A gRPC stream's messages come when the caller has them: its body has no idle or rate limit (its deadline,
      // grpc-timeout, is the caller's to set).
      waitingFor = WAITING_FOR_NOTHING;
    }
    // Whenever a body follows that will not be read, the connection ends with the answer: what comes next on it
    // could not be told apart from a next request.
    boolean keepAlive = HttpUtil.isKeepAlive(request) && !hasBody;
    ClientLimits limits = loop.limits();
    if (headers.size() > limits.maxHeaderCount()) {
      refuse(request, null, error(431, "headers_too_large", "the request has more than " + limits.maxHeaderCount()
          + " header fields", requestId, 0, true), 431, "headers_too_large", requestId, true);
      return;
    }
    if (loop.drain().draining()) {
      refuse(request, null, error(503, "node_draining", "this node is shutting down; retry on another node",
          requestId, 1, true), 503, "node_draining", requestId, true);
      return;
    }
    if (loop.runs() != null && request.uri().startsWith(RunEndpoints.PREFIX)) {
      String project = loop.projectOf(headers.get(HttpHeaderNames.AUTHORIZATION));
      if (project == null) {
        FullHttpResponse refused = error(401, "unauthorized", "send a valid API key or token of the run's project "
            + "as `Authorization: Bearer <key>`", requestId, 0, !keepAlive);
        refused.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, WWW_AUTHENTICATE);
        refuse(request, null, refused, 401, "unauthorized", requestId, !keepAlive);
        return;
      }
      current = new RunEndpoints(this, loop.runs(), request.method(), request.uri(), project, requestId);
      current.start();
      return;
    }
    RequestTarget target = loop.directory().resolve(request.uri(), headers.get(X_SLUICE_APP),
        headers.get(HttpHeaderNames.HOST));
    AppRoute route = target.route();
    if (route == null || route.spec().authRequired()) {
      String project = loop.projectOf(headers.get(HttpHeaderNames.AUTHORIZATION));
      if (project == null) {
        FullHttpResponse refused = error(401, "unauthorized", "send a valid API key or token of the "
            + "app's project as `Authorization: Bearer <key>`", requestId, 0, !keepAlive);
        refused.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, WWW_AUTHENTICATE);
        refuse(request, null, refused, 401, "unauthorized", requestId, !keepAlive);
        return;
      }
      if (route != null && !route.spec().id().project().equals(project)) {
        route = null;
      }
    }
    if (route == null) {
      refuse(request, null, error(404, "app_not_found", "no app at " + firstSegments(request.uri())
          + "; app URLs are /v4/{project}/{app}/{path}, or send `x-sluice-app: {project}/{app}`", requestId, 0,
          !keepAlive), 404, "app_not_found", requestId, !keepAlive);
      return;
    }
    if (target.error() == RequestTarget.Error.BAD_PATH) {
      refuse(request, route, error(400, "bad_path", "the path has dot segments, encoded separators or malformed "
          + "escapes; send a plain path", requestId, 0, !keepAlive), 400, "bad_path", requestId, !keepAlive);
      return;
    }
    if (contentLength > limits.maxBodyBytes()) {
      refuse(request, route, error(413, "body_too_large", "the request body is larger than " + limits.maxBodyBytes()
          + " bytes", requestId, 0, true), 413, "body_too_large", requestId, true);
      return;
    }
    if (loop.runs() != null && AsyncIntake.wanted(request)) {
      current = new AsyncIntake(this, loop, loop.runs(), request, route, requestId, HttpUtil.isKeepAlive(request),
          hasBody);
      current.start();
      return;
    }
    boolean upgrade = isWebSocketUpgrade(headers);
    if (upgrade && !validWebSocketHandshake(request, route, requestId)) {
      return;
    }
    current = new Exchange(this, loop, request, route, target.upstreamUri(), requestId,
        HttpUtil.isKeepAlive(request), hasBody, upgrade, grpc,
        route.spec().authRequired() ? loop.callerOf(headers.get(HttpHeaderNames.AUTHORIZATION)) : null);
    current.start();
  }

  private static boolean isWebSocketUpgrade(HttpHeaders headers) {
    return headers.containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
        && headers.contains(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true);
  }

  /** Sluice relays RFC 6455 (version 13) sockets only, opened by a GET over HTTP/1.1 with a key. */
  private boolean validWebSocketHandshake(HttpRequest request, AppRoute route, String requestId) {
    HttpHeaders headers = request.headers();
    if (!"13".equals(headers.get(HttpHeaderNames.SEC_WEBSOCKET_VERSION))) {
      FullHttpResponse refused = error(426, "websocket_version", "Sluice relays WebSocket version 13 "
          + "(RFC 6455) only", requestId, 0, true);
      refused.headers().set(HttpHeaderNames.SEC_WEBSOCKET_VERSION, "13");
      refuse(request, route, refused, 426, "websocket_version", requestId, true);
      return false;
    }
    if (request.method() != HttpMethod.GET || request.protocolVersion() != HttpVersion.HTTP_1_1
        || headers.get(HttpHeaderNames.SEC_WEBSOCKET_KEY) == null) {
      refuse(request, route, error(400, "bad_websocket_handshake", "a WebSocket opens with a GET over HTTP/1.1 that "
          + "has Sec-WebSocket-Key", requestId, 0, true), 400, "bad_websocket_handshake", requestId, true);
      return false;
    }
    return true;
  }

  /** The connection became a WebSocket: its relay owns it now, and this loop's timeouts no longer apply to it. */
  void upgraded() {
    waitingFor = WAITING_FOR_NOTHING;
    loop.closed(this);
  }

  /** What the HTTP decoder could not read: the connection is not in a state to read another request after it. */
  private void refuseMalformed(HttpRequest request, Throwable cause, String requestId) {
    waitingFor = WAITING_FOR_NOTHING;
    if (cause instanceof TooLongHttpLineException) {
      refuse(request, null, error(414, "uri_too_long", "the request line is longer than "
          + loop.limits().maxRequestLineBytes() + " bytes", requestId, 0, true), 414, "uri_too_long", requestId, true);
    } else if (cause instanceof TooLongHttpHeaderException || cause instanceof TooLongFrameException) {
      refuse(request, null, error(431, "headers_too_large", "the request headers are larger than "
          + loop.limits().maxHeaderBytes() + " bytes", requestId, 0, true), 431, "headers_too_large", requestId, true);
    } else {
      refuse(request, null, error(400, "malformed_request", "the request is not valid HTTP/1.1: "
          + cause.getMessage(), requestId, 0, true), 400, "malformed_request", requestId, true);
    }
  }

  /**
   * Answers a request the connection refuses itself, and records it: method, path (without its query), status, error
   * code, the client's address and how long since its head began to arrive; never a header, so never a credential.
   *
   * @param request null when none came (a head that did not arrive in time)
   * @param route the app the request named, when it got as far as one; else null
   */
  private void refuse(HttpRequest request, AppRoute route, FullHttpResponse response, int status, String code,
      String requestId, boolean close) {
    long micros = Math.max(0, System.nanoTime() - headSince) / 1000;
    // A head the decoder could not read at all comes as its placeholder (GET /bad-request): nothing of it is known.
    boolean known = request != null && !(request instanceof FullHttpRequest && request.decoderResult().isFailure());
    loop.recorder().record(RequestRecord.refused(requestId, route == null ? null : route.spec().id().project(),
        route == null ? null : route.spec().id().name(), grpc ? "grpc" : "http", known ? request.method().name() : null,
        known ? request.uri() : null, status, code, System.currentTimeMillis() - micros / 1000, micros, loop.node(),
        remoteHost));
    reply(response, close);
  }

  /** Sluice's own error: JSON, or a gRPC status when the request is a gRPC call. */
  private FullHttpResponse error(int status, String code, String message, String requestId, int retryAfterSeconds,
      boolean close) {
    return grpc ? GrpcStatus.reply(status, code, message, requestId, retryAfterSeconds)
        : ErrorReply.response(status, code, message, requestId, retryAfterSeconds, close);
  }

  private void reply(Object response, boolean close) {
    if (close || stream) {
      endWith(response);
      return;
    }
    channel.writeAndFlush(response);
    if (current == null && (queued == null || queued.isEmpty())) {
      waitingFor = WAITING_FOR_NEXT_REQUEST;
      waitingSince = System.nanoTime();
    }
  }

  /**
   * Sends the connection's last answer, then stops sending and reads (and drops) what the client still sends for a
   * moment before closing. Closing at once with unread bytes in the socket would reset the connection, and a client
   * still sending its body would see the reset instead of the answer (nginx's lingering close does the same).
   */
  void endWith(Object response) {
    waitingFor = WAITING_FOR_NOTHING;
    queuedRelease();
    if (stream) {
      // Ended once the answer is out: an HTTP/2 stream closed while its answer still waits behind flow control is
      // reset, and the client gets the head without the body.
      channel.writeAndFlush(response).addListener(written -> endStream());
      return;
    }
    channel.writeAndFlush(response).addListener((ChannelFutureListener) written -> {
      if (!written.isSuccess() || !(channel instanceof DuplexChannel duplex)) {
        channel.close();
        return;
      }
      waitingFor = LINGERING;
      waitingSince = System.nanoTime();
      channel.config().setAutoRead(true);
      duplex.shutdownOutput().addListener(shut -> {
        if (!shut.isSuccess()) {
          channel.close();
        }
      });
    });
  }

  /**
   * An HTTP/2 stream whose answer went out: closed once its client has sent all of its request too. Until then what
   * the client still sends is read and dropped, for a moment, as HTTP/1.1's lingering close does: closing the stream
   * at once would reset it, and some clients (Java's) then report the reset rather than the answer they got.
   */
  private void endStream() {
    if (requestEnded) {
      waitingFor = WAITING_FOR_NOTHING;
      channel.close();
      return;
    }
    waitingFor = LINGERING;
    waitingSince = System.nanoTime();
    channel.config().setAutoRead(true);
  }

  boolean isStream() {
    return stream;
  }

  private void queuedRelease() {
    if (queued != null) {
      queued.forEach(ReferenceCountUtil::release);
      queued.clear();
    }
  }

  Channel channel() {
    return channel;
  }

  /** Inside a read from the client: what it brings is dispatched now, and writes to replicas flushed when it ends. */
  boolean reading() {
    return reading;
  }

  String remoteHost() {
    return remoteHost;
  }

  boolean secure() {
    return secure;
  }

  /**
   * A replica channel was written to: flushed once when this connection's read batch ends, or at once when the write
   * came from elsewhere (a queued request replayed when the previous answer ended).
   */
  void flushLater(Channel upstream) {
    if (reading) {
      flushTarget = upstream;
    } else {
      upstream.flush();
    }
  }

  /** The current exchange is over: serve what a pipelining client sent meanwhile. */
  void exchangeEnded(ClientWork ended) {
    if (current != ended) {
      return;
    }
    current = null;
    exchangePaused = false;
    if (stream) {
      channel.flush();
      endStream();
      return;
    }
    if (waitingFor == WAITING_FOR_NOTHING && (queued == null || queued.isEmpty())) {
      waitingFor = WAITING_FOR_NEXT_REQUEST;
      waitingSince = System.nanoTime();
    }
    if (queued == null || replaying) {
      updateAutoRead();
      return;
    }
    replaying = true;
    try {
      // A queued request's body follows its head in the queue and goes to the exchange the head started.
      while (!queued.isEmpty() && channel.isActive()) {
        if (current != null && queued.peek() instanceof HttpRequest) {
          break;
        }
        dispatch(queued.poll());
      }
    } finally {
      replaying = false;
    }
    updateAutoRead();
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (current != null) {
      current.clientReadEnded();
    }
    reading = false;
    Channel target = flushTarget;
    if (target != null) {
      flushTarget = null;
      target.flush();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (current != null && channel.isWritable()) {
      current.clientWritable();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    loop.closed(this);
    waitingFor = WAITING_FOR_NOTHING;
    ClientWork gone = current;
    if (gone != null) {
      gone.clientGone();
    }
    queuedRelease();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // Connection resets and the like: the connection is over, channelInactive ends what was in flight on it.
    ctx.close();
  }

  /** Echoes at most the project and app part of the path, so that a 404 does not reflect arbitrary input. */
  private static String firstSegments(String uri) {
    if (uri == null) {
      return "/";
    }
    int end = uri.indexOf('?');
    String path = end < 0 ? uri : uri.substring(0, end);
    int cut = 0;
    for (int slashes = 0; cut < path.length(); cut++) {
      if (path.charAt(cut) == '/' && ++slashes == 4) {
        break;
      }
    }
    return path.substring(0, Math.min(cut, 120)).replaceAll("[^A-Za-z0-9/_.-]", "?");
  }

  static boolean expectsContinue(HttpRequest request) {
    return request.headers().containsValue(HttpHeaderNames.EXPECT, "100-continue", true);
  }
}

package io.sluice.dataplane.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.sluice.dataplane.routing.RequestTarget;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * One client connection to the public port. Requests on it are served one at a time, in order: a request that a
 * pipelining client sends before the previous answer is complete waits here (and the connection stops being read
 * once a few have piled up). Everything that cannot be routed is answered here; the rest becomes an {@link Exchange}.
 */
final class ClientConnection extends ChannelInboundHandlerAdapter {

  private static final int MAX_QUEUED_MESSAGES = 64;

  private final ProxyLoop loop;
  private Channel channel;
  private String remoteHost;
  private Exchange current;
  private ArrayDeque<Object> queued;
  private Channel flushTarget;
  private boolean replaying;
  private boolean reading;
  private boolean exchangePaused;

  ClientConnection(ProxyLoop loop) {
    this.loop = loop;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    channel = ctx.channel();
    if (channel.remoteAddress() instanceof InetSocketAddress remote && remote.getAddress() != null) {
      remoteHost = remote.getAddress().getHostAddress();
    }
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
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
      current.onRequestContent(content);
    } else {
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
    boolean read = !exchangePaused && (queued == null || queued.size() < MAX_QUEUED_MESSAGES);
    if (channel.config().isAutoRead() != read) {
      channel.config().setAutoRead(read);
    }
  }

  private void begin(HttpRequest request) {
    String requestId = request.headers().get(ErrorReply.REQUEST_ID);
    if (requestId == null || !RequestIds.acceptable(requestId)) {
      requestId = RequestIds.next();
    }
    DecoderResult decoded = request.decoderResult();
    if (decoded.isFailure()) {
      refuseMalformed(decoded.cause(), requestId);
      return;
    }
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    if (loop.drain().draining()) {
      reply(ErrorReply.response(503, "node_draining", "this node is shutting down; retry on another node",
          requestId, 1, true), true);
      return;
    }
    RequestTarget target = loop.directory().resolve(request.uri());
    if (target.error() == RequestTarget.Error.BAD_PATH) {
      reply(ErrorReply.response(400, "bad_path",
          "the path has dot segments or encoded separators; send a plain path", requestId, 0, !keepAlive), !keepAlive);
      return;
    }
    if (target.error() != null) {
      reply(ErrorReply.response(404, "app_not_found", "no app at " + firstSegments(request.uri())
          + "; app URLs are /v4/{project}/{app}/{path}", requestId, 0, !keepAlive), !keepAlive);
      return;
    }
    current = new Exchange(this, loop, request, target.route(), target.upstreamUri(), requestId, keepAlive);
    current.start();
  }

  /** What the HTTP decoder could not read: the connection is not in a state to read another request after it. */
  private void refuseMalformed(Throwable cause, String requestId) {
    if (cause instanceof TooLongHttpLineException) {
      reply(ErrorReply.response(414, "uri_too_long", "the request line is longer than "
          + PublicServer.MAX_REQUEST_LINE_BYTES + " bytes", requestId, 0, true), true);
    } else if (cause instanceof TooLongHttpHeaderException || cause instanceof TooLongFrameException) {
      reply(ErrorReply.response(431, "headers_too_large", "the request headers are larger than "
          + PublicServer.MAX_REQUEST_HEADER_BYTES + " bytes", requestId, 0, true), true);
    } else {
      reply(ErrorReply.response(400, "malformed_request", "the request is not valid HTTP/1.1: "
          + cause.getMessage(), requestId, 0, true), true);
    }
  }

  private void reply(Object response, boolean close) {
    var written = channel.writeAndFlush(response);
    if (close) {
      written.addListener(ChannelFutureListener.CLOSE);
    }
  }

  Channel channel() {
    return channel;
  }

  String remoteHost() {
    return remoteHost;
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
  void exchangeEnded(Exchange ended) {
    if (current != ended) {
      return;
    }
    current = null;
    exchangePaused = false;
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
    Exchange gone = current;
    if (gone != null) {
      gone.clientGone();
    }
    if (queued != null) {
      queued.forEach(ReferenceCountUtil::release);
      queued.clear();
    }
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

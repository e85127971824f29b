package io.sluice.dataplane.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ServerUpgradeCodec;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.AsciiString;
import io.sluice.config.ClientLimits;

/**
 * HTTP/2 on the public port, in clear text: a client that opens with the connection preface (prior knowledge, as
 * gRPC clients and {@code curl --http2-prior-knowledge} do) or that asks for {@code Upgrade: h2c} on its first request.
 *
 * <p>Each stream is served as one HTTP/1.1 exchange is: Netty turns its frames into the same request and body objects
 * that the HTTP/1.1 decoder makes, and a {@link ClientConnection} of its own routes, authenticates, holds and proxies
 * it. So routing, limits, holding and counting are the same code for both protocols, and a stream is one request in
 * flight for as long as it is open, however long it streams.
 */
final class Http2Frontend {

  /** Streams one client connection may have open at once. */
  static final int MAX_STREAMS = 256;
  /** The flow-control window of each stream and of the connection: large bodies need not wait for window updates. */
  static final int WINDOW_BYTES = 1 << 20;
  /** The largest request that may carry {@code Upgrade: h2c}; it is read whole before the switch. */
  private static final int MAX_UPGRADE_REQUEST_BYTES = 65_536;
  private static final AsciiString H2C = AsciiString.cached(Http2CodecUtil.HTTP_UPGRADE_PROTOCOL_NAME.toString());

  private Http2Frontend() {}

  /**
   * Serves HTTP/2 on a connection whose client opened with the preface (after its HTTP/1.1 handlers were taken out),
   * or chose {@code h2} in the TLS handshake ({@code secure}).
   */
  static void priorKnowledge(ChannelPipeline pipeline, ProxyLoop loop, boolean secure) {
    Http2Session session = new Http2Session(loop);
    pipeline.addLast(frameCodec(loop.limits()), session, multiplexer(loop, session, secure));
  }

  /**
   * Goes after the HTTP/1.1 codec: switches the connection to HTTP/2 when its first request asks for
   * {@code Upgrade: h2c}, and steps out of the way after the first request otherwise.
   */
  static HttpServerUpgradeHandler upgrades(HttpServerCodec codec, ProxyLoop loop) {
    return new HttpServerUpgradeHandler(codec, protocol -> {
      if (!H2C.contentEqualsIgnoreCase(protocol)) {
        return null;
      }
      Http2Session session = new Http2Session(loop);
      return new Http2ServerUpgradeCodec(frameCodec(loop.limits()), session, multiplexer(loop, session, false));
    }, MAX_UPGRADE_REQUEST_BYTES, ProxyHeaders.HEADERS, ProxyHeaders.TRAILERS, true) {
      @Override
      protected boolean shouldHandleUpgradeRequest(HttpRequest request) {
        return bodyFitsAnUpgrade(request);
      }
    };
  }

  /**
   * Whether a request that asks for {@code Upgrade} has a body small enough to be read whole before the switch. One
   * that does not is served over HTTP/1.1 as if it had not asked (a server may ignore {@code Upgrade}, RFC 9110
   * section 7.8), rather than refused: the JDK's HTTP client asks for h2c on the first request of every cleartext
   * connection, with whatever body that request has.
   */
  static boolean bodyFitsAnUpgrade(HttpRequest request) {
    if (request.decoderResult().isFailure() || HttpUtil.isTransferEncodingChunked(request)) {
      return false;
    }
    try {
      return HttpUtil.getContentLength(request, 0L) <= MAX_UPGRADE_REQUEST_BYTES;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static Http2FrameCodec frameCodec(ClientLimits limits) {
    return Http2FrameCodecBuilder.forServer()
        .initialSettings(Http2Settings.defaultSettings()
            .maxHeaderListSize(limits.maxHeaderBytes())
            .maxConcurrentStreams(MAX_STREAMS)
            .initialWindowSize(WINDOW_BYTES))
        .build();
  }

  private static Http2MultiplexHandler multiplexer(ProxyLoop loop, Http2Session session, boolean secure) {
    return new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
      @Override
      protected void initChannel(Http2StreamChannel stream) {
        session.streamOpened(stream);
        stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(true), Http2Messages.fromClients(),
            new ClientConnection(loop, true, secure));
      }
    });
  }

  /**
   * One HTTP/2 client connection: closed (with GOAWAY) once it has had no open stream for the keep-alive timeout,
   * as an idle HTTP/1.1 connection is. Its streams' own timeouts are their {@link ClientConnection}s'.
   */
  static final class Http2Session extends ChannelInboundHandlerAdapter implements ProxyLoop.Swept {

    private final ProxyLoop loop;
    private Channel channel;
    private int openStreams;
    private long idleSince;

    Http2Session(ProxyLoop loop) {
      this.loop = loop;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      channel = ctx.channel();
      idleSince = System.nanoTime();
      loop.opened(this);
      channel.closeFuture().addListener(closed -> loop.closed(this));
      Http2FrameCodec codec = ctx.pipeline().get(Http2FrameCodec.class);
      if (codec != null && codec.connection() != null) {
        widenConnectionWindow(codec);
      }
    }

    private static void widenConnectionWindow(Http2FrameCodec codec) {
      try {
        var connection = codec.connection();
        int delta = WINDOW_BYTES - connection.local().flowController().windowSize(connection.connectionStream());
        if (delta > 0) {
          connection.local().flowController().incrementWindowSize(connection.connectionStream(), delta);
        }
      } catch (io.netty.handler.codec.http2.Http2Exception cannot) {
        // The default window stays: slower for large bodies, not wrong.
      }
    }

    void streamOpened(Channel stream) {
      openStreams++;
      stream.closeFuture().addListener(closed -> {
        if (--openStreams == 0) {
          idleSince = System.nanoTime();
        }
      });
    }

    @Override
    public void checkTimeouts(long now) {
      if (openStreams == 0 && now - idleSince > loop.limits().keepAliveTimeout().toNanos()) {
        channel.close();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}

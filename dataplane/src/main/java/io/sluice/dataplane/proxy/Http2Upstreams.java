package io.sluice.dataplane.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One event loop's HTTP/2 (h2c, prior knowledge) connections to the replicas of apps that speak it. A request is a
 * stream of a shared connection, so the replica's concurrency limit counts streams, not connections: usually one
 * connection per replica and loop carries everything, and another opens only when the replica's
 * {@code MAX_CONCURRENT_STREAMS} is reached. Each stream looks to the {@link Exchange} like an HTTP/1.1 connection of
 * its own (the same request and answer objects), and closing it resets the replica's stream — that is how a caller's
 * cancellation reaches the replica.
 */
final class Http2Upstreams {

  private final UpstreamPool pool;
  private final Bootstrap bootstrap;
  private final Map<InetSocketAddress, List<Connection>> connections = new HashMap<>();

  Http2Upstreams(UpstreamPool pool, Bootstrap base) {
    this.pool = pool;
    this.bootstrap = base.clone().handler(new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel channel) {
        channel.pipeline().addLast(
            Http2FrameCodecBuilder.forClient()
                .initialSettings(Http2Settings.defaultSettings()
                    .pushEnabled(false)
                    .initialWindowSize(Http2Frontend.WINDOW_BYTES))
                .build(),
            // A replica has no reason to open streams to Sluice (server push is off): any it opens are refused.
            new Http2MultiplexHandler(new ChannelInboundHandlerAdapter() {
              @Override
              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ReferenceCountUtil.release(msg);
                ctx.close();
              }
            }));
      }
    });
  }

  /** Opens a stream to {@code address} for {@code exchange}, on a connection with room or a new one. */
  void open(InetSocketAddress address, Exchange exchange) {
    List<Connection> open = connections.computeIfAbsent(address, a -> new ArrayList<>(1));
    for (int i = 0; i < open.size(); i++) {
      Connection connection = open.get(i);
      if (connection.takes()) {
        connection.open(exchange);
        return;
      }
    }
    Connection connection = new Connection(address);
    open.add(connection);
    connection.open(exchange);
  }

  /** One connection to a replica: while it connects, the exchanges that want a stream of it wait here. */
  private final class Connection {

    private final InetSocketAddress address;
    private ArrayDeque<Exchange> waiting = new ArrayDeque<>(2);
    private Channel channel;
    private Http2Connection http2;
    private Http2StreamChannelBootstrap streams;
    private boolean gone;

    Connection(InetSocketAddress address) {
      this.address = address;
      bootstrap.connect(address).addListener((ChannelFutureListener) connected -> {
        if (!connected.isSuccess()) {
          forget();
          ArrayDeque<Exchange> failed = waiting;
          waiting = null;
          failed.forEach(exchange -> exchange.upstreamFailed(connected.cause()));
          return;
        }
        channel = connected.channel();
        http2 = channel.pipeline().get(Http2FrameCodec.class).connection();
        streams = new Http2StreamChannelBootstrap(channel).handler(new ChannelInitializer<Http2StreamChannel>() {
          @Override
          protected void initChannel(Http2StreamChannel stream) {
            stream.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(false), Http2Messages.fromReplicas(),
                new UpstreamHandler(pool, stream));
          }
        });
        widenConnectionWindow();
        channel.closeFuture().addListener(closed -> forget());
        ArrayDeque<Exchange> ready = waiting;
        waiting = null;
        ready.forEach(this::open);
      });
    }

    /** Whether a new stream can go on this connection (or wait for it to connect). */
    boolean takes() {
      if (gone) {
        return false;
      }
      if (channel == null) {
        return true;
      }
      return channel.isActive() && !http2.goAwayReceived() && http2.local().canOpenStream();
    }

    void open(Exchange exchange) {
      if (waiting != null) {
        waiting.add(exchange);
        return;
      }
      boolean reused = http2.numActiveStreams() > 0 || http2.local().lastStreamCreated() > 0;
      streams.open().addListener(opened -> {
        if (opened.isSuccess()) {
          Http2StreamChannel stream = (Http2StreamChannel) opened.getNow();
          exchange.upstreamReady(stream, stream.pipeline().get(UpstreamHandler.class), reused);
        } else {
          exchange.upstreamFailed(opened.cause());
        }
      });
    }

    private void widenConnectionWindow() {
      try {
        int delta = Http2Frontend.WINDOW_BYTES - http2.local().flowController().windowSize(http2.connectionStream());
        if (delta > 0) {
          http2.local().flowController().incrementWindowSize(http2.connectionStream(), delta);
        }
      } catch (Http2Exception cannot) {
        // The default window stays: slower for large bodies, not wrong.
      }
    }

    private void forget() {
      if (gone) {
        return;
      }
      gone = true;
      List<Connection> open = connections.get(address);
      if (open != null) {
        open.remove(this);
        if (open.isEmpty()) {
          connections.remove(address);
        }
      }
    }
  }
}

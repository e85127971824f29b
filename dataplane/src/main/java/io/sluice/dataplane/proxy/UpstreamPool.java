package io.sluice.dataplane.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http2.Http2StreamChannel;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;

/**
 * One event loop's keep-alive connections to replicas, by replica address. Only that loop touches it, so it needs no
 * locks, and a request and its upstream connection never change threads.
 *
 * <p>The most recently used connection goes out first: it is the least likely to have been closed by the replica.
 * A connection idle longer than {@link #MAX_IDLE_NANOS} is closed instead of reused, below the 5 s keep-alive that
 * uvicorn (FastAPI's server) and many others default to, so that Sluice does not send a request on a connection the
 * replica is closing at that moment.
 */
final class UpstreamPool {

  static final long MAX_IDLE_NANOS = 4_000_000_000L;
  private static final int MAX_IDLE_PER_REPLICA = 512;
  private static final int MAX_RESPONSE_HEADER_BYTES = 65_536;
  private static final int MAX_CHUNK_BYTES = 65_536;

  private final Bootstrap bootstrap;
  private final Http2Upstreams http2;
  private final Map<InetSocketAddress, ArrayDeque<UpstreamHandler>> idle = new HashMap<>();

  UpstreamPool(EventLoop loop, ChannelFactory<? extends Channel> channels, int connectTimeoutMillis) {
    Bootstrap base = new Bootstrap()
        .group(loop)
        .channelFactory(channels)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.WRITE_BUFFER_WATER_MARK, PublicServer.WRITE_WATER_MARK)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis);
    this.http2 = new Http2Upstreams(this, base);
    this.bootstrap = base.handler(new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel channel) {
            channel.pipeline().addLast(
                new HttpClientCodec(ProxyHeaders.decoder(4096, MAX_RESPONSE_HEADER_BYTES, MAX_CHUNK_BYTES),
                    HttpClientCodec.DEFAULT_PARSE_HTTP_AFTER_CONNECT_REQUEST,
                    HttpClientCodec.DEFAULT_FAIL_ON_MISSING_RESPONSE),
                new UpstreamHandler(UpstreamPool.this, channel));
          }
        });
  }

  /** Hands {@code exchange} a connection to {@code address}: an idle one at once, else a new one when it connects. */
  void acquire(InetSocketAddress address, Exchange exchange) {
    ArrayDeque<UpstreamHandler> handlers = idle.get(address);
    if (handlers != null) {
      long now = System.nanoTime();
      for (UpstreamHandler handler; (handler = handlers.pollFirst()) != null; ) {
        Channel channel = handler.channel();
        if (channel.isActive() && now - handler.idleSinceNanos() < MAX_IDLE_NANOS) {
          exchange.upstreamReady(channel, handler, true);
          return;
        }
        channel.close();
      }
    }
    connect(address, exchange);
  }

  /** A new connection, never a pooled one: for the one retry after a pooled connection turned out to be closed. */
  void connect(InetSocketAddress address, Exchange exchange) {
    bootstrap.connect(address).addListener((ChannelFutureListener) connected -> {
      if (connected.isSuccess()) {
        UpstreamHandler handler = connected.channel().pipeline().get(UpstreamHandler.class);
        handler.address(address);
        exchange.upstreamReady(connected.channel(), handler, false);
      } else {
        exchange.upstreamFailed(connected.cause());
      }
    });
  }

  /** Hands {@code exchange} a new stream to {@code address}, a replica that speaks HTTP/2. */
  void openStream(InetSocketAddress address, Exchange exchange) {
    http2.open(address, exchange);
  }

  /**
   * Takes back a connection whose last response was read to its end and which may carry another request; an HTTP/2
   * stream is done with instead (its connection stays open for the next).
   */
  void release(Channel channel, UpstreamHandler handler) {
    if (!channel.isActive()) {
      return;
    }
    if (channel instanceof Http2StreamChannel) {
      channel.close();
      return;
    }
    handler.idleSince(System.nanoTime());
    ArrayDeque<UpstreamHandler> handlers = idle.computeIfAbsent(handler.address(), a -> new ArrayDeque<>());
    if (handlers.size() >= MAX_IDLE_PER_REPLICA) {
      channel.close();
      return;
    }
    handlers.addFirst(handler);
  }

  /** An idle connection was closed by the replica. */
  void forget(UpstreamHandler handler) {
    ArrayDeque<UpstreamHandler> handlers = idle.get(handler.address());
    if (handlers != null) {
      handlers.remove(handler);
      if (handlers.isEmpty()) {
        idle.remove(handler.address());
      }
    }
  }
}

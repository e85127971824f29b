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
 * One idle longer than its replica's {@link IdleLimit} stays unused, so that Sluice does not send a request on a
 * connection the replica is closing at that moment; the oldest idle connection is what shows how long the replica keeps
 * them. A connection idle for {@link #MAX_IDLE_NANOS} is closed, as nginx closes its upstream connections after 60 s.
 */
final class UpstreamPool {

  static final long MAX_IDLE_NANOS = 60_000_000_000L;
  private static final int MAX_IDLE_PER_REPLICA = 512;
  /** Replicas whose limits are kept; beyond this, those with no idle connection left are forgotten. */
  private static final int MAX_REPLICAS = 1024;
  private static final int MAX_RESPONSE_HEADER_BYTES = 65_536;
  private static final int MAX_CHUNK_BYTES = 65_536;

  private final Bootstrap bootstrap;
  private final Http2Upstreams http2;
  private final Map<InetSocketAddress, Idle> idle = new HashMap<>();

  /** One replica's idle connections, the most recently used first, and how long they may be used. */
  private static final class Idle {
    final ArrayDeque<UpstreamHandler> handlers = new ArrayDeque<>();
    final IdleLimit limit = new IdleLimit();

    /** The most recently used connection if the limit allows it; first learns from, or closes, the oldest. */
    UpstreamHandler take(long now) {
      for (UpstreamHandler oldest; (oldest = handlers.peekLast()) != null; handlers.pollLast()) {
        long idleNanos = now - oldest.idleSinceNanos();
        if (!oldest.channel().isActive()) {
          limit.closedByReplica(idleNanos);
        } else if (idleNanos < MAX_IDLE_NANOS) {
          limit.seenOpen(idleNanos);
          break;
        } else {
          oldest.channel().close();
        }
      }
      for (UpstreamHandler newest; (newest = handlers.peekFirst()) != null; handlers.pollFirst()) {
        long idleNanos = now - newest.idleSinceNanos();
        if (newest.channel().isActive()) {
          return limit.allows(idleNanos) ? handlers.pollFirst() : null;
        }
        limit.closedByReplica(idleNanos);
      }
      return null;
    }
  }

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
    Idle connections = idle.get(address);
    UpstreamHandler handler = connections == null ? null : connections.take(System.nanoTime());
    if (handler != null) {
      exchange.upstreamReady(handler.channel(), handler, true);
    } else {
      connect(address, exchange);
    }
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
    Idle connections = idle.get(handler.address());
    if (connections == null) {
      if (idle.size() >= MAX_REPLICAS) {
        idle.values().removeIf(replica -> replica.handlers.isEmpty());
      }
      connections = new Idle();
      idle.put(handler.address(), connections);
    }
    ArrayDeque<UpstreamHandler> handlers = connections.handlers;
    if (handlers.size() >= MAX_IDLE_PER_REPLICA) {
      handlers.pollLast().channel().close();
    }
    handlers.addFirst(handler);
  }

  /** An idle connection closed: the replica closed it, or it failed; not one the pool took out and closed itself. */
  void forget(UpstreamHandler handler) {
    Idle connections = idle.get(handler.address());
    if (connections != null && connections.handlers.remove(handler)) {
      connections.limit.closedByReplica(System.nanoTime() - handler.idleSinceNanos());
    }
  }
}

package io.sluice.dataplane.proxy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.sluice.dataplane.routing.AppDirectory;
import io.sluice.dataplane.routing.NodeDrain;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import java.net.InetSocketAddress;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The public HTTP/1.1 port: a Netty pipeline of its own on Vert.x's event loops (and Vert.x's transport, epoll when
 * it loads), rather than Vert.x's HTTP server and client. A proxy hop then costs one HTTP decode and encode each way
 * and nothing else: the request and answer objects the codecs produce are forwarded as they are, bodies as the same
 * buffers, with no futures, no copies of the headers and no thread hops — a connection to a replica is taken from the
 * pool of the event loop that serves the client.
 */
public final class PublicServer {

  static final int MAX_REQUEST_LINE_BYTES = 8_192;
  static final int MAX_REQUEST_HEADER_BYTES = 16_384;
  private static final int MAX_CHUNK_BYTES = 65_536;
  private static final int CONNECT_TIMEOUT_MILLIS = 5_000;

  private final Channel listener;
  private final ChannelGroup clients;
  private final Map<EventLoop, ProxyLoop> loops;

  private PublicServer(Channel listener, ChannelGroup clients, Map<EventLoop, ProxyLoop> loops) {
    this.listener = listener;
    this.clients = clients;
    this.loops = loops;
  }

  public static Future<PublicServer> start(
      Vertx vertx, AppDirectory directory, NodeDrain drain, String host, int port, long holdTimeoutMillis) {
    VertxInternal internal = (VertxInternal) vertx;
    EventLoopGroup group = internal.nettyEventLoopGroup();
    Map<EventLoop, ProxyLoop> loops = new IdentityHashMap<>();
    int index = 0;
    for (EventExecutor executor : group) {
      EventLoop eventLoop = (EventLoop) executor;
      UpstreamPool pool = new UpstreamPool(eventLoop, internal.transport().channelFactory(false),
          CONNECT_TIMEOUT_MILLIS);
      loops.put(eventLoop, new ProxyLoop(index++, eventLoop, pool, directory, drain, holdTimeoutMillis));
    }
    ChannelGroup clients = new DefaultChannelGroup("sluice-clients", GlobalEventExecutor.INSTANCE);
    Promise<PublicServer> started = Promise.promise();
    new ServerBootstrap()
        .group(internal.acceptorEventLoopGroup(), group)
        .channelFactory(internal.transport().serverChannelFactory(false))
        .option(ChannelOption.SO_REUSEADDR, true)
        .option(ChannelOption.SO_BACKLOG, 4096)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childHandler(new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel channel) {
            clients.add(channel);
            channel.pipeline().addLast(
                new HttpServerCodec(MAX_REQUEST_LINE_BYTES, MAX_REQUEST_HEADER_BYTES, MAX_CHUNK_BYTES),
                new ClientConnection(loops.get(channel.eventLoop())));
          }
        })
        .bind(new InetSocketAddress(host, port))
        .addListener((ChannelFutureListener) bound -> {
          if (bound.isSuccess()) {
            loops.values().forEach(ProxyLoop::startClosingBuckets);
            started.complete(new PublicServer(bound.channel(), clients, loops));
          } else {
            started.fail(bound.cause());
          }
        });
    return started.future();
  }

  public int port() {
    return ((InetSocketAddress) listener.localAddress()).getPort();
  }

  /** Stops listening and closes every client connection. */
  public Future<Void> close() {
    Promise<Void> closed = Promise.promise();
    loops.values().forEach(ProxyLoop::stopClosingBuckets);
    listener.close().addListener(done -> clients.close().addListener(all -> closed.complete()));
    return closed.future();
  }
}

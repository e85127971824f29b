package io.sluice.dataplane.proxy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerUpgradeHandler;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.sluice.config.ClientLimits;
import io.sluice.dataplane.auth.Authenticator;
import io.sluice.dataplane.routing.AppDirectory;
import io.sluice.dataplane.records.NodeRecords;
import io.sluice.dataplane.records.RequestRecord;
import io.sluice.dataplane.routing.NodeDrain;
import io.sluice.dataplane.runs.AsyncRuns;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import java.net.InetSocketAddress;
import java.util.IdentityHashMap;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The public port, HTTP/1.1 and HTTP/2 in clear text ({@link Http2Frontend}): a Netty pipeline of its own on Vert.x's
 * event loops (and Vert.x's transport, epoll when it loads), rather than Vert.x's HTTP server and client. A proxy hop then costs one HTTP decode and encode each way
 * and nothing else: the request and answer objects the codecs produce are forwarded as they are, bodies as the same
 * buffers, with no futures, no copies of the headers and no thread hops — a connection to a replica is taken from the
 * pool of the event loop that serves the client.
 */
public final class PublicServer {

  private static final int MAX_CHUNK_BYTES = 65_536;
  /**
   * How much a connection, client's or replica's, may hold unsent before the other side stops being read: above a
   * body chunk (64 KiB) and its head, so that a request's head, body and end go out in one write at the end of the
   * read that brought them, as nginx sends them; at 64 KiB (Netty's default) every such chunk crossed it.
   */
  static final WriteBufferWaterMark WRITE_WATER_MARK = new WriteBufferWaterMark(128 * 1024, 256 * 1024);
  private static final int CONNECT_TIMEOUT_MILLIS = 5_000;

  private final Channel listener;
  private final ChannelGroup clients;
  private final Map<EventLoop, ProxyLoop> loops;
  private final AtomicInteger connections;

  private PublicServer(Channel listener, ChannelGroup clients, Map<EventLoop, ProxyLoop> loops,
      AtomicInteger connections) {
    this.listener = listener;
    this.clients = clients;
    this.loops = loops;
    this.connections = connections;
  }

  public static Future<PublicServer> start(Vertx vertx, AppDirectory directory, NodeDrain drain,
      Authenticator authenticator, ClientLimits limits, String host, int port, long holdTimeoutMillis,
      Optional<PublicTls> tls, AsyncRuns runs, NodeRecords records) {
    if (tls.isEmpty()) {
      return start(vertx, directory, drain, authenticator, limits, host, port, holdTimeoutMillis, (SslContext) null,
          runs, records);
    }
    return vertx.executeBlocking(() -> tls.get().context()).compose(context ->
        start(vertx, directory, drain, authenticator, limits, host, port, holdTimeoutMillis, context, runs, records));
  }

  private static Future<PublicServer> start(Vertx vertx, AppDirectory directory, NodeDrain drain,
      Authenticator authenticator, ClientLimits limits, String host, int port, long holdTimeoutMillis,
      SslContext ssl, AsyncRuns runs, NodeRecords records) {
    VertxInternal internal = (VertxInternal) vertx;
    EventLoopGroup group = internal.nettyEventLoopGroup();
    Map<EventLoop, ProxyLoop> loops = new IdentityHashMap<>();
    int index = 0;
    for (EventExecutor executor : group) {
      EventLoop eventLoop = (EventLoop) executor;
      UpstreamPool pool = new UpstreamPool(eventLoop, internal.transport().channelFactory(false),
          CONNECT_TIMEOUT_MILLIS);
      loops.put(eventLoop, new ProxyLoop(index++, eventLoop, pool, directory, drain, authenticator, limits,
          holdTimeoutMillis, runs, records));
    }
    AtomicInteger connections = new AtomicInteger();
    ChannelGroup clients = new DefaultChannelGroup("sluice-clients", GlobalEventExecutor.INSTANCE);
    Promise<PublicServer> started = Promise.promise();
    new ServerBootstrap()
        .group(internal.acceptorEventLoopGroup(), group)
        .channelFactory(internal.transport().serverChannelFactory(false))
        .option(ChannelOption.SO_REUSEADDR, true)
        .option(ChannelOption.SO_BACKLOG, 4096)
        .childOption(ChannelOption.TCP_NODELAY, true)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WRITE_WATER_MARK)
        .childHandler(new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel channel) {
            ProxyLoop loop = loops.get(channel.eventLoop());
            if (connections.incrementAndGet() > limits.maxConnections()) {
              connections.decrementAndGet();
              recordRefused(loop, channel);
              if (ssl == null) {
                refuse(channel);
              } else {
                channel.close();
              }
              return;
            }
            channel.closeFuture().addListener(closed -> connections.decrementAndGet());
            clients.add(channel);
            if (ssl != null) {
              channel.pipeline().addLast(ssl.newHandler(channel.alloc()), negotiation(loop, limits));
              return;
            }
            ClientConnection connection = new ClientConnection(loop, false, false);
            ChannelHandler activity = connection.activity();
            HttpServerCodec codec = new HttpServerCodec(
                ProxyHeaders.decoder(limits.maxRequestLineBytes(), limits.maxHeaderBytes(), MAX_CHUNK_BYTES));
            HttpServerUpgradeHandler upgrades = Http2Frontend.upgrades(codec, loop);
            // HTTP/1.1 from the start, so that its timeouts hold from the first byte; a client that opens with the
            // HTTP/2 preface gets HTTP/2's handlers instead.
            channel.pipeline().addLast(new ProtocolSniffer(pipeline -> {
              pipeline.remove(activity);
              pipeline.remove(codec);
              pipeline.remove(upgrades);
              pipeline.remove(connection);
              Http2Frontend.priorKnowledge(pipeline, loop, false);
            }), activity, codec, upgrades, connection);
          }
        })
        .bind(new InetSocketAddress(host, port))
        .addListener((ChannelFutureListener) bound -> {
          if (bound.isSuccess()) {
            loops.values().forEach(ProxyLoop::startTimers);
            started.complete(new PublicServer(bound.channel(), clients, loops, connections));
          } else {
            started.fail(bound.cause());
          }
        });
    return started.future();
  }

  /** After the TLS handshake: HTTP/2 when the client chose it by ALPN, else HTTP/1.1. */
  private static ApplicationProtocolNegotiationHandler negotiation(ProxyLoop loop, ClientLimits limits) {
    return new ApplicationProtocolNegotiationHandler(ApplicationProtocolNames.HTTP_1_1) {
      @Override
      protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
        if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
          Http2Frontend.priorKnowledge(ctx.pipeline(), loop, true);
          return;
        }
        ClientConnection connection = new ClientConnection(loop, false, true);
        ctx.pipeline().addLast(connection.activity(),
            new HttpServerCodec(
                ProxyHeaders.decoder(limits.maxRequestLineBytes(), limits.maxHeaderBytes(), MAX_CHUNK_BYTES)),
            connection);
      }
    };
  }

  public int port() {
    return ((InetSocketAddress) listener.localAddress()).getPort();
  }

  /** Client connections open now. */
  public int openConnections() {
    return connections.get();
  }

  /** A connection over the limit leaves a record too: no request was read, so only who and when. */
  private static void recordRefused(ProxyLoop loop, Channel channel) {
    String client = channel.remoteAddress() instanceof InetSocketAddress remote && remote.getAddress() != null
        ? remote.getAddress().getHostAddress() : null;
    loop.recorder().record(RequestRecord.refused(RequestIds.next(), null, null, "http", null, null, 503,
        "too_many_connections", System.currentTimeMillis(), 0, loop.node(), client));
  }

  /**
   * Answers 503 on a connection over the limit, then stops sending and drops what the client sends for a second
   * before closing, so that the client reads the answer rather than a reset.
   */
  private static void refuse(Channel channel) {
    channel.pipeline().addLast(new ChannelInboundHandlerAdapter() {
      @Override
      public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ReferenceCountUtil.release(msg);
      }

      @Override
      public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ctx.close();
      }
    });
    channel.writeAndFlush(tooManyConnections()).addListener((ChannelFutureListener) written -> {
      if (written.isSuccess() && channel instanceof DuplexChannel duplex) {
        duplex.shutdownOutput();
        channel.eventLoop().schedule(() -> channel.close(), 1, TimeUnit.SECONDS);
      } else {
        channel.close();
      }
    });
  }

  /**
   * Sent, without reading the request, on a connection over the node's limit: the bytes of a whole response, written
   * straight to the socket before any HTTP codec is in the pipeline.
   */
  private static ByteBuf tooManyConnections() {
    byte[] body = ErrorReply.body("too_many_connections",
        "this node has as many client connections as it takes; retry shortly", null).encode()
        .getBytes(StandardCharsets.UTF_8);
    String head = "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: "
        + body.length + "\r\nretry-after: 1\r\nx-sluice-error: too_many_connections\r\nconnection: close\r\n\r\n";
    return Unpooled.wrappedBuffer(head.getBytes(StandardCharsets.US_ASCII), body);
  }

  /** Stops listening and closes every client connection. */
  public Future<Void> close() {
    Promise<Void> closed = Promise.promise();
    loops.values().forEach(ProxyLoop::stopTimers);
    listener.close().addListener(done -> clients.close().addListener(all -> closed.complete()));
    return closed.future();
  }
}

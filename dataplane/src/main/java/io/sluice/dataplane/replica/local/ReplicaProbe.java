package io.sluice.dataplane.replica.local;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One readiness or liveness check: an HTTP GET that passes on a 2xx answer (the seeds: "a non-200 response" fails),
 * or, when the app names no endpoint, a TCP connect to its port. Each check has a connection of its own, closed when
 * it is done, as a kubelet's probes do.
 *
 * <p>It speaks HTTP with Netty on the provider's event loop, the same codec the proxy uses for replicas, rather than
 * with a Vert.x HTTP client: probes run every second for as long as a replica lives, and a second HTTP stack running
 * that rarely is code the JIT keeps compiling, late and beside the proxy's hot path, for the whole life of a node.
 */
final class ReplicaProbe {

  private static final String HOST = "127.0.0.1";
  private static final AsciiString USER_AGENT = AsciiString.cached("sluice-probe");

  private final ContextInternal context;
  private final Bootstrap tcp;
  private final Bootstrap http;
  private final long timeoutMillis;

  /** Probes from {@code context}'s event loop; what {@link #check} returns completes there. */
  ReplicaProbe(Context context, long timeoutMillis) {
    this.context = (ContextInternal) context;
    this.timeoutMillis = timeoutMillis;
    this.tcp = new Bootstrap()
        .group(this.context.nettyEventLoop())
        .channelFactory(this.context.owner().transport().channelFactory(false))
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeoutMillis))
        .option(ChannelOption.TCP_NODELAY, true)
        .handler(new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel channel) {
            // nothing to read: connecting is the whole check
          }
        });
    this.http = tcp.clone().handler(new ChannelInitializer<>() {
      @Override
      protected void initChannel(Channel channel) {
        channel.pipeline().addLast(new HttpClientCodec());
      }
    });
  }

  /** Never fails: a probe that cannot complete is a failed probe. */
  Future<Boolean> check(int port, Optional<String> path) {
    Promise<Boolean> result = context.promise();
    InetSocketAddress address = new InetSocketAddress(HOST, port);
    if (path.isPresent()) {
      get(address, path.get(), result);
    } else {
      tcp.connect(address).addListener((ChannelFutureListener) connected -> {
        result.tryComplete(connected.isSuccess());
        connected.channel().close();
      });
    }
    return result.future();
  }

  private void get(InetSocketAddress address, String path, Promise<Boolean> result) {
    http.connect(address).addListener((ChannelFutureListener) connected -> {
      Channel channel = connected.channel();
      if (!connected.isSuccess()) {
        result.tryComplete(false);
        channel.close();
        return;
      }
      ScheduledFuture<?> deadline = channel.eventLoop().schedule(() -> {
        result.tryComplete(false);
        channel.close();
      }, timeoutMillis, TimeUnit.MILLISECONDS);
      channel.closeFuture().addListener(closed -> deadline.cancel(false));
      channel.pipeline().addLast(new Answer(result));
      DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
      request.headers()
          .set(HttpHeaderNames.HOST, HOST + ":" + address.getPort())
          .set(HttpHeaderNames.USER_AGENT, USER_AGENT)
          .set(HttpHeaderNames.ACCEPT, "*/*")
          .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      channel.writeAndFlush(request).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
    });
  }

  /**
   * Reads the answer to its end before passing judgement and closing, so that the replica never sees its health
   * answer cut off mid-body.
   */
  private static final class Answer extends SimpleChannelInboundHandler<HttpObject> {

    private final Promise<Boolean> result;
    private boolean passed;

    Answer(Promise<Boolean> result) {
      this.result = result;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject message) {
      if (message instanceof HttpResponse response) {
        passed = response.status().codeClass() == HttpStatusClass.SUCCESS;
      }
      if (message.decoderResult().isFailure()) {
        passed = false; // a garbled head or body, as a cut-off body would
      }
      if (message instanceof LastHttpContent) {
        result.tryComplete(passed);
        ctx.close();
      }
    }

    /**
     * After the decoder has passed on what it had: an answer whose body ends where the connection does (HTTP/1.0, no
     * length) has been judged by now; any other answer was cut off.
     */
    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      result.tryComplete(false);
      ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      result.tryComplete(false);
      ctx.close();
    }
  }
}

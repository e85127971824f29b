package io.sluice.dataplane.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;

/**
 * The end of a connection to a replica: hands what the replica sends to the exchange using the connection, and tells
 * the pool when an idle connection closes. Writes to the client made while reading a batch from the replica are flushed
 * once, when the batch ends.
 */
final class UpstreamHandler extends ChannelInboundHandlerAdapter {

  private final UpstreamPool pool;
  private final Channel channel;
  private InetSocketAddress address;
  private Exchange exchange;
  private long idleSinceNanos;
  private Channel flushTarget;

  UpstreamHandler(UpstreamPool pool, Channel channel) {
    this.pool = pool;
    this.channel = channel;
  }

  Channel channel() {
    return channel;
  }

  InetSocketAddress address() {
    return address;
  }

  void address(InetSocketAddress value) {
    address = value;
  }

  long idleSinceNanos() {
    return idleSinceNanos;
  }

  void idleSince(long nanos) {
    idleSinceNanos = nanos;
  }

  void attach(Exchange value) {
    exchange = value;
  }

  void detach() {
    exchange = null;
  }

  /** The client channel written to during this read; flushed when the read batch ends. */
  void flushLater(Channel channel) {
    flushTarget = channel;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    Exchange current = exchange;
    if (current == null) {
      // Nothing was asked on this connection: a replica that answers unasked cannot be trusted with the next request.
      ReferenceCountUtil.release(msg);
      ctx.close();
      return;
    }
    current.onUpstream(msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    Exchange current = exchange;
    if (current != null) {
      current.upstreamReadEnded();
    }
    Channel target = flushTarget;
    if (target != null) {
      flushTarget = null;
      target.flush();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    Exchange current = exchange;
    if (current != null && ctx.channel().isWritable()) {
      current.upstreamWritable();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    Exchange current = exchange;
    if (current != null) {
      exchange = null;
      current.upstreamClosed(null);
    } else if (address != null) {
      pool.forget(this);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Exchange current = exchange;
    exchange = null;
    ctx.close();
    if (current != null) {
      current.upstreamClosed(cause);
    }
  }
}

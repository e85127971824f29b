package io.sluice.dataplane.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import java.util.List;
import io.netty.channel.ChannelPipeline;
import java.util.function.Consumer;

/**
 * Tells, from a connection's first bytes, whether its client speaks HTTP/2 with prior knowledge (h2c: it opens with
 * the connection preface) or HTTP/1.1, and steps aside. The pipeline behind it is HTTP/1.1's; for HTTP/2 it is
 * replaced first. HTTP/1.1 connections pay one comparison of their first bytes, once.
 */
final class ProtocolSniffer extends ByteToMessageDecoder {

  private static final ByteBuf PREFACE = Http2CodecUtil.connectionPrefaceBuf();

  private final Consumer<ChannelPipeline> http2;

  /** @param http2 replaces the HTTP/1.1 handlers behind this one with HTTP/2's */
  ProtocolSniffer(Consumer<ChannelPipeline> http2) {
    this.http2 = http2;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    int length = Math.min(in.readableBytes(), PREFACE.readableBytes());
    if (!ByteBufUtil.equals(in, in.readerIndex(), PREFACE, PREFACE.readerIndex(), length)) {
      ctx.pipeline().remove(this);
    } else if (length == PREFACE.readableBytes()) {
      http2.accept(ctx.pipeline());
      ctx.pipeline().remove(this);
    }
    // Otherwise a prefix of the preface: wait for more.
  }
}

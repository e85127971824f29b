package io.sluice.dataplane.proxy;

import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http2.HttpConversionUtil.ExtensionHeaderNames;
import io.netty.util.AsciiString;

/**
 * Sits behind Netty's translation of an HTTP/2 stream into HTTP/1.1 objects, so that the proxy sees a stream as it
 * sees an HTTP/1.1 exchange: Netty's own {@code x-http2-*} headers (stream id, scheme) are dropped, since they describe
 * this hop and would otherwise reach the replica or the client; and, on the client side, a request whose headers end
 * the stream (a whole request, no body) becomes a head and an empty end, as HTTP/1.1's decoder delivers it.
 *
 * <p>A whole answer from a replica stays whole: gRPC's trailers-only answers (one HEADERS frame that ends the stream,
 * carrying {@code grpc-status}) must reach the client as one HEADERS frame too.
 */
@Sharable
final class Http2Messages extends ChannelInboundHandlerAdapter {

  private static final Http2Messages FROM_CLIENTS = new Http2Messages(true);
  private static final Http2Messages FROM_REPLICAS = new Http2Messages(false);

  private static final AsciiString[] EXTENSION_HEADERS;

  static {
    ExtensionHeaderNames[] names = ExtensionHeaderNames.values();
    EXTENSION_HEADERS = new AsciiString[names.length];
    for (int i = 0; i < names.length; i++) {
      EXTENSION_HEADERS[i] = names[i].text();
    }
  }

  private final boolean splitWholeRequests;

  private Http2Messages(boolean splitWholeRequests) {
    this.splitWholeRequests = splitWholeRequests;
  }

  /** For a client's stream to the public port; one for all streams, as it keeps no state. */
  static Http2Messages fromClients() {
    return FROM_CLIENTS;
  }

  /** For a stream to a replica; one for all streams, as it keeps no state. */
  static Http2Messages fromReplicas() {
    return FROM_REPLICAS;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof HttpMessage message) {
      stripExtensions(message.headers());
      if (splitWholeRequests && msg instanceof FullHttpRequest whole) {
        ctx.fireChannelRead(new DefaultHttpRequest(whole.protocolVersion(), whole.method(), whole.uri(),
            whole.headers()));
        ctx.fireChannelRead(new DefaultLastHttpContent(whole.content(), whole.trailingHeaders()));
        return;
      }
    }
    ctx.fireChannelRead(msg);
  }

  private static void stripExtensions(HttpHeaders headers) {
    for (AsciiString name : EXTENSION_HEADERS) {
      headers.remove(name);
    }
  }
}

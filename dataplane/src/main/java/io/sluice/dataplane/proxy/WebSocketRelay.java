package io.sluice.dataplane.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.Utf8FrameValidator;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * A WebSocket between a client and a replica, once the replica has answered the upgrade with 101: both connections
 * drop their HTTP codecs for WebSocket frame codecs, and frames go across as they come, with back-pressure, control
 * frames included.
 *
 * <p>Sluice reads the frames rather than copying bytes so that a client cannot hand a replica what it would not take
 * from a well-behaved one: frames that break RFC 6455 (unmasked, reserved bits or opcodes, bad lengths, invalid UTF-8
 * in text when no extension was agreed) close the client's side with 1002 or 1007, and a message (all the frames of
 * one) larger than the limit with 1009; the replica's side is then closed with 1001. Frames are never gathered into
 * messages, so memory per connection stays at one frame.
 *
 * <p>The socket holds its replica slot, as one request in flight, until either side closes; then the exchange that
 * upgraded it finishes.
 */
final class WebSocketRelay {

  private final Exchange exchange;
  private final Channel client;
  private final Channel replica;
  private final long maxMessageBytes;
  private boolean ended;

  private WebSocketRelay(Exchange exchange, Channel client, Channel replica, long maxMessageBytes) {
    this.exchange = exchange;
    this.client = client;
    this.replica = replica;
    this.maxMessageBytes = maxMessageBytes;
  }

  /**
   * Switches both connections to WebSocket frames. Called on the event loop they share, after the 101 went to the
   * client, while the replica connection's HTTP decoder has just handed over the end of the 101.
   *
   * @param extensions whether the handshake agreed an extension (permessage-deflate): frames then carry reserved bits
   *     and compressed text, which are passed on unchecked
   */
  static void start(Exchange exchange, Channel client, Channel replica, long maxMessageBytes, boolean extensions) {
    WebSocketRelay relay = new WebSocketRelay(exchange, client, replica, maxMessageBytes);
    int maxFrame = (int) Math.min(Integer.MAX_VALUE, maxMessageBytes);
    // The encoders go first: the decoders and the UTF-8 check write their close frames from where they sit, and
    // those writes only pass the handlers in front of them.
    ChannelPipeline down = client.pipeline();
    String codec = down.context(HttpServerCodec.class).name();
    down.addAfter(codec, "ws-encoder", new WebSocket13FrameEncoder(false));
    down.addAfter("ws-encoder", "ws-decoder", new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
        .expectMaskedFrames(true).allowExtensions(extensions).maxFramePayloadLength(maxFrame)
        .closeOnProtocolViolation(true).build()));
    String last = "ws-decoder";
    if (!extensions) {
      down.addAfter(last, "ws-utf8", new Utf8FrameValidator(true));
      last = "ws-utf8";
    }
    down.addAfter(last, "ws-relay", relay.new Side(replica, true));
    down.remove(ClientConnection.class);
    down.remove(codec);

    ChannelPipeline up = replica.pipeline();
    String upCodec = up.context(HttpClientCodec.class).name();
    up.addAfter(upCodec, "ws-encoder", new WebSocket13FrameEncoder(true));
    up.addAfter("ws-encoder", "ws-decoder", new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
        .expectMaskedFrames(false).allowExtensions(true).maxFramePayloadLength(Integer.MAX_VALUE)
        .closeOnProtocolViolation(true).build()));
    up.addAfter("ws-decoder", "ws-relay", relay.new Side(client, false));
    up.remove(UpstreamHandler.class);
    // Removed last: bytes the replica sent right behind its 101 go on to the frame decoder.
    up.remove(upCodec);
    client.config().setAutoRead(true);
    replica.config().setAutoRead(true);
  }

  /** One direction: frames read on this side are written to the other. */
  private final class Side extends ChannelInboundHandlerAdapter {

    private final Channel other;
    private final boolean fromClient;
    private long messageBytes;
    private boolean flushPending;

    Side(Channel other, boolean fromClient) {
      this.other = other;
      this.fromClient = fromClient;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof WebSocketFrame frame)) {
        ReferenceCountUtil.release(msg);
        return;
      }
      if (fromClient && tooLarge(frame)) {
        frame.release();
        ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.MESSAGE_TOO_BIG,
            "message larger than " + maxMessageBytes + " bytes")).addListener(ChannelFutureListener.CLOSE);
        goAway(other);
        return;
      }
      other.write(frame, other.voidPromise());
      flushPending = true;
      if (frame instanceof CloseWebSocketFrame) {
        // The other side answers with its own close frame, then the replica or the client ends the connection.
        other.flush();
        flushPending = false;
      }
      if (!other.isWritable()) {
        ctx.channel().config().setAutoRead(false);
      }
    }

    private boolean tooLarge(WebSocketFrame frame) {
      long size = frame.content().readableBytes();
      if (frame instanceof TextWebSocketFrame || frame instanceof BinaryWebSocketFrame) {
        messageBytes = size;
      } else if (frame instanceof ContinuationWebSocketFrame) {
        messageBytes += size;
      } else {
        return false;
      }
      return messageBytes > maxMessageBytes;
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (flushPending) {
        flushPending = false;
        other.flush();
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      if (ctx.channel().isWritable()) {
        other.config().setAutoRead(true);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (other.isActive()) {
        other.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
      }
      end();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (!(cause instanceof CorruptedWebSocketFrameException)) {
        ctx.close();
      }
      // Else a protocol violation: the decoder has sent this side its close frame (1002, 1007 or 1009) and closes it
      // once that is written.
      goAway(other);
    }
  }

  /** Tells one side the other has gone (1001), then closes it. */
  private void goAway(Channel side) {
    if (side.isActive()) {
      side.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.ENDPOINT_UNAVAILABLE, "peer went away"))
          .addListener(ChannelFutureListener.CLOSE);
    }
  }

  private void end() {
    if (!ended) {
      ended = true;
      exchange.tunnelEnded();
    }
  }
}

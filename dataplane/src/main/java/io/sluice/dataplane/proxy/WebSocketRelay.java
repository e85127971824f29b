package io.sluice.dataplane.proxy;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.DuplexChannel;
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
import io.sluice.config.WebSocketSpec;
import io.sluice.dataplane.records.WebSocketEnd;
import java.util.concurrent.TimeUnit;

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
 * <p>Every close the node makes itself carries a code and a reason: a session without a frame either way for the
 * app's idle timeout, or open for its session limit, closes both sides with 1001; a replica whose connection ends
 * without a close frame (it died) closes the client's side with 1011; a client that goes the same way closes the
 * replica's side with 1001. Close frames that either side sends go across as they are, code and reason.
 *
 * <p>Timeouts cost no timer: while open, the relay is one of the things its event loop's sweep looks at, and a frame
 * costs one store of the loop's coarse clock. Once the node has begun closing, a side gets {@link #CLOSE_GRACE_NANOS}
 * to take its close frame before its connection is cut.
 *
 * <p>The socket holds its replica slot, as one request in flight, until either side closes; then the exchange that
 * upgraded it finishes, and its record says how the session ended ({@link WebSocketEnd}): the first close, whose it
 * was, and the messages and bytes that went across, counted as frames pass at the cost of a few additions.
 */
final class WebSocketRelay implements ProxyLoop.Swept {

  private static final long CLOSE_GRACE_NANOS = TimeUnit.SECONDS.toNanos(2);

  private final Exchange exchange;
  private final ProxyLoop loop;
  private final Channel client;
  private final Channel replica;
  private final long maxMessageBytes;
  private final long idleNanos;
  private final long maxSessionSeconds;
  private final boolean sessionLimited;
  /** When the session reaches its length limit, if it has one. */
  private final long sessionEndsNanos;
  /** The loop's clock when the last frame came, either way. */
  private long lastFrameNanos;
  private boolean clientSentClose;
  private boolean replicaSentClose;
  private boolean closeSentToClient;
  private boolean closeSentToReplica;
  /** The node has begun closing the session itself, at {@link #closingSince}. */
  private boolean closing;
  private long closingSince;
  private boolean ended;
  private final long openedNanos;
  /** The first close, by whom: set once. */
  private int closeCode;
  private String closedBy;
  private String closeReason;
  private long messagesIn;
  private long messagesOut;
  private long bytesIn;
  private long bytesOut;

  private WebSocketRelay(Exchange exchange, ProxyLoop loop, Channel client, Channel replica, long maxMessageBytes,
      WebSocketSpec spec) {
    this.exchange = exchange;
    this.loop = loop;
    this.client = client;
    this.replica = replica;
    this.maxMessageBytes = maxMessageBytes;
    this.idleNanos = spec.idleTimeout().toNanos();
    this.maxSessionSeconds = spec.maxSession().toSeconds();
    long now = System.nanoTime();
    this.openedNanos = now;
    this.lastFrameNanos = now;
    this.sessionLimited = spec.sessionLimited();
    this.sessionEndsNanos = now + spec.maxSession().toNanos();
  }

  /**
   * Switches both connections to WebSocket frames. Called on the event loop they share, after the 101 went to the
   * client, while the replica connection's HTTP decoder has just handed over the end of the 101.
   *
   * @param spec the app's limits; its message limit is lowered to the node's when that is lower
   * @param extensions whether the handshake agreed an extension (permessage-deflate): frames then carry reserved bits
   *     and compressed text, which are passed on unchecked
   */
  static void start(Exchange exchange, ProxyLoop loop, Channel client, Channel replica, WebSocketSpec spec,
      boolean extensions) {
    long maxMessageBytes = spec.maxMessageBytes(loop.limits().maxWebSocketMessageBytes());
    WebSocketRelay relay = new WebSocketRelay(exchange, loop, client, replica, maxMessageBytes, spec);
    int maxFrame = (int) Math.min(Integer.MAX_VALUE, maxMessageBytes);
    // The encoders go first: the decoders and the UTF-8 check write their close frames from where they sit, and
    // those writes only pass the handlers in front of them.
    ChannelPipeline down = client.pipeline();
    String codec = down.context(HttpServerCodec.class).name();
    down.addAfter(codec, "ws-encoder", new WebSocket13FrameEncoder(false));
    // The client's decoder does not close on a violation itself: the relay sends the close frame and half-closes,
    // while the decoder drops what the client still sends (the rest of an oversized frame, say).
    down.addAfter("ws-encoder", "ws-decoder", new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
        .expectMaskedFrames(true).allowExtensions(extensions).maxFramePayloadLength(maxFrame)
        .closeOnProtocolViolation(false).build()));
    String last = "ws-decoder";
    if (!extensions) {
      down.addAfter(last, "ws-utf8", new Utf8FrameValidator(true));
      last = "ws-utf8";
    }
    down.addAfter(last, "ws-relay", relay.new Side(true));
    down.remove(ClientConnection.class);
    down.remove(codec);

    ChannelPipeline up = replica.pipeline();
    String upCodec = up.context(HttpClientCodec.class).name();
    up.addAfter(upCodec, "ws-encoder", new WebSocket13FrameEncoder(true));
    up.addAfter("ws-encoder", "ws-decoder", new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
        .expectMaskedFrames(false).allowExtensions(true).maxFramePayloadLength(Integer.MAX_VALUE)
        .closeOnProtocolViolation(true).build()));
    up.addAfter("ws-decoder", "ws-relay", relay.new Side(false));
    up.remove(UpstreamHandler.class);
    // Removed last: bytes the replica sent right behind its 101 go on to the frame decoder.
    up.remove(upCodec);
    loop.opened(relay);
    if (!client.isActive() || !replica.isActive()) {
      // One side went during the switch, before its handler could hear of it.
      relay.firstClose(WebSocketCloseStatus.ABNORMAL_CLOSURE.code(),
          client.isActive() ? WebSocketEnd.REPLICA : WebSocketEnd.CLIENT, "connection lost during the upgrade");
      client.close();
      replica.close();
      relay.end();
      loop.closed(relay);
      return;
    }
    client.config().setAutoRead(true);
    replica.config().setAutoRead(true);
  }

  /** Closes the session when it has been idle or open too long, and cuts sides that do not take their close. */
  @Override
  public void checkTimeouts(long now) {
    if (closing) {
      if (now - closingSince > CLOSE_GRACE_NANOS) {
        client.close();
        replica.close();
      }
      return;
    }
    // The clock a frame was stamped with lags by up to one sweep: the session has surely been idle once the gap
    // exceeds the timeout by a sweep.
    if (now - lastFrameNanos > idleNanos + loop.sweepNanos()) {
      closeBoth("idle timeout");
    } else if (sessionLimited && now - sessionEndsNanos >= 0) {
      closeBoth("session limit of " + maxSessionSeconds + " s reached");
    }
  }

  private void closeBoth(String reason) {
    close(client, WebSocketCloseStatus.ENDPOINT_UNAVAILABLE, reason);
    close(replica, WebSocketCloseStatus.ENDPOINT_UNAVAILABLE, reason);
  }

  /**
   * Sends one side the node's own close frame, once, then ends its connection when the frame is written (or when the
   * sweep finds it still unwritten after the grace).
   */
  private void close(Channel side, WebSocketCloseStatus status, String reason) {
    if (!closing) {
      closing = true;
      closingSince = loop.now();
    }
    boolean toClient = side == client;
    if (toClient ? closeSentToClient : closeSentToReplica) {
      return;
    }
    if (toClient) {
      // What the client is told is what the session ended with, whatever the replica is told.
      firstClose(status.code(), WebSocketEnd.NODE, reason);
    }
    if (toClient) {
      closeSentToClient = true;
    } else {
      closeSentToReplica = true;
    }
    if (side.isActive()) {
      side.writeAndFlush(new CloseWebSocketFrame(status, reason)).addListener((ChannelFutureListener) written -> {
        if (written.isSuccess() && side instanceof DuplexChannel duplex) {
          // Half-closed rather than closed: a side still sending (a large message) reads the close frame instead
          // of a reset. It closes its end in answer; the sweep cuts it after the grace if it does not.
          duplex.shutdownOutput();
        } else {
          side.close();
        }
      });
    }
  }

  private void firstClose(int code, String by, String reason) {
    if (closedBy == null) {
      closeCode = code;
      closedBy = by;
      closeReason = reason == null || reason.isEmpty() ? null : reason;
    }
  }

  /** One direction: frames read on this side are written to the other. */
  private final class Side extends ChannelInboundHandlerAdapter {

    private final boolean fromClient;
    private final Channel other;
    private long messageBytes;
    private boolean flushPending;

    Side(boolean fromClient) {
      this.fromClient = fromClient;
      this.other = fromClient ? replica : client;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof WebSocketFrame frame)) {
        ReferenceCountUtil.release(msg);
        return;
      }
      lastFrameNanos = loop.now();
      if (closing) {
        // The node is closing the session: what still comes (a side's answer to the node's close) goes nowhere.
        frame.release();
        return;
      }
      if (fromClient && tooLarge(frame)) {
        frame.release();
        close(client, WebSocketCloseStatus.MESSAGE_TOO_BIG, "message larger than " + maxMessageBytes + " bytes");
        close(replica, WebSocketCloseStatus.ENDPOINT_UNAVAILABLE, "the client sent a message over the limit");
        return;
      }
      if (frame instanceof CloseWebSocketFrame close) {
        // The other side answers with its own close frame, then the replica or the client ends the connection.
        int code = close.statusCode();
        firstClose(code < 0 ? WebSocketCloseStatus.EMPTY.code() : code,
            fromClient ? WebSocketEnd.CLIENT : WebSocketEnd.REPLICA, close.reasonText());
        if (fromClient) {
          clientSentClose = true;
          closeSentToReplica = true;
        } else {
          replicaSentClose = true;
          closeSentToClient = true;
        }
        other.writeAndFlush(frame, other.voidPromise());
        flushPending = false;
        return;
      }
      count(frame);
      other.write(frame, other.voidPromise());
      flushPending = true;
      if (!other.isWritable()) {
        ctx.channel().config().setAutoRead(false);
      }
    }

    private void count(WebSocketFrame frame) {
      if (frame instanceof TextWebSocketFrame || frame instanceof BinaryWebSocketFrame
          || frame instanceof ContinuationWebSocketFrame) {
        int size = frame.content().readableBytes();
        int whole = frame.isFinalFragment() ? 1 : 0;
        if (fromClient) {
          bytesIn += size;
          messagesIn += whole;
        } else {
          bytesOut += size;
          messagesOut += whole;
        }
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
      boolean closedProperly = fromClient ? clientSentClose : replicaSentClose;
      if (!closing && !closedProperly) {
        // Gone without a close frame: a replica that died, a client whose network went.
        if (fromClient) {
          firstClose(WebSocketCloseStatus.ABNORMAL_CLOSURE.code(), WebSocketEnd.CLIENT, "client went away");
          close(replica, WebSocketCloseStatus.ENDPOINT_UNAVAILABLE, "client went away");
        } else {
          close(client, WebSocketCloseStatus.INTERNAL_SERVER_ERROR, "replica connection lost");
        }
      } else if (other.isActive()) {
        boolean otherHasOurClose = fromClient ? closeSentToReplica : closeSentToClient;
        boolean otherAnswered = fromClient ? replicaSentClose : clientSentClose;
        if (!otherHasOurClose || otherAnswered) {
          // What is queued for the other side (a close frame, say) goes out first.
          other.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
        // Else the other side has the node's close frame on a half-closed connection and may still be sending (the
        // rest of a message over the limit): closing it now would reset it mid-write. It closes its end in answer,
        // or the sweep cuts it after the grace.
      }
      end();
      if (!client.isActive() && !replica.isActive()) {
        loop.closed(WebSocketRelay.this);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (!(cause instanceof CorruptedWebSocketFrameException violation)) {
        // A reset or another I/O error: the connection is over, and channelInactive tells the other side.
        ctx.close();
        return;
      }
      // A protocol violation. From the client, the relay answers it (1002, 1007 or 1009) unless the UTF-8 check has
      // already; the replica's decoder has sent its own close frame and closes its side.
      if (fromClient) {
        boolean tooBig = violation.closeStatus() == WebSocketCloseStatus.MESSAGE_TOO_BIG;
        close(replica, WebSocketCloseStatus.ENDPOINT_UNAVAILABLE,
            tooBig ? "the client sent a message over the limit" : "the client broke the WebSocket protocol");
        close(client, violation.closeStatus(), violation.getMessage() != null ? violation.getMessage()
            : violation.closeStatus().reasonText());
      } else {
        close(client, WebSocketCloseStatus.INTERNAL_SERVER_ERROR, "the replica broke the WebSocket protocol");
        closeSentToReplica = true;
      }
    }
  }

  private void end() {
    if (!ended) {
      ended = true;
      exchange.tunnelEnded(new WebSocketEnd(closeCode, closedBy, closeReason,
          (System.nanoTime() - openedNanos) / 1000, messagesIn, messagesOut, bytesIn, bytesOut));
    }
  }
}

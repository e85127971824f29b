package io.sluice.dataplane.node;

import io.netty.channel.EventLoopGroup;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.impl.VertxThread;
import io.vertx.core.internal.VertxInternal;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The event loop of the node's own work: scaling ticks, replica probes, publishing the node's load, polling async
 * runs. None of it shares a thread with requests: every request is served on Vert.x's event loops, and this one is
 * apart from them.
 *
 * <p>On one of them, the scaling tick alone held the loop for 1-2 ms a second (code that runs once a second stays
 * interpreted), and every request on that loop waited meanwhile. Its thread has the lowest Java priority, so where
 * the JVM maps priorities to nice values ({@code -XX:ThreadPriorityPolicy=1}, as {@code bin/jvm.options} sets) a
 * request loop wanting the core gets it first.
 *
 * <p>The same transport as Vert.x's own loops, so channels opened here (probes, the run worker's client) are of the
 * kind this loop can carry. Vert.x's blocked-thread checker does not watch this thread: it watches only the threads
 * it made.
 */
final class ControlLoop {

  static final String THREAD_NAME = "sluice-control";

  private final EventLoopGroup group;
  private final Context context;

  private ControlLoop(EventLoopGroup group, Context context) {
    this.group = group;
    this.context = context;
  }

  static ControlLoop open(Vertx vertx) {
    VertxInternal internal = (VertxInternal) vertx;
    EventLoopGroup group = internal.transport().eventLoopGroup(
        io.vertx.core.spi.transport.Transport.IO_EVENT_LOOP_GROUP, 1, runnable -> {
          VertxThread thread = new VertxThread(runnable, THREAD_NAME, false,
              VertxOptions.DEFAULT_MAX_EVENT_LOOP_EXECUTE_TIME, VertxOptions.DEFAULT_MAX_EVENT_LOOP_EXECUTE_TIME_UNIT);
          thread.setPriority(Thread.MIN_PRIORITY);
          return thread;
        }, 50);
    Context context = internal.contextBuilder()
        .withThreadingModel(ThreadingModel.EVENT_LOOP)
        .withEventLoop(group.next())
        .build();
    return new ControlLoop(group, context);
  }

  Context context() {
    return context;
  }

  /** Stops the loop; call once Vert.x has closed, so that nothing is left to run on it. */
  Future<Void> close() {
    CompletableFuture<Void> closed = new CompletableFuture<>();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).addListener(done -> closed.complete(null));
    return Future.fromCompletionStage(closed);
  }
}

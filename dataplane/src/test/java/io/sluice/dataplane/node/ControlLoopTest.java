package io.sluice.dataplane.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.dataplane.support.Configs;
import io.sluice.dataplane.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node's own work runs on its control loop, a thread that never carries a request. */
class ControlLoopTest {

  @TempDir
  Path temp;

  @Test
  void tasks_timers_and_blocking_work_handed_back_all_run_on_the_control_thread_until_it_closes() throws Exception {
    Vertx vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    try {
      ControlLoop control = ControlLoop.open(vertx);
      CompletableFuture<List<String>> threads = new CompletableFuture<>();
      control.context().runOnContext(v -> {
        String task = Thread.currentThread().getName();
        vertx.setTimer(5, t -> {
          String timer = Thread.currentThread().getName();
          vertx.executeBlocking(() -> Thread.currentThread().getName())
              .onComplete(blocking -> threads.complete(List.of(task, timer, blocking.result(),
                  Thread.currentThread().getName())));
        });
      });

      List<String> seen = threads.get(10, TimeUnit.SECONDS);
      assertThat(seen.get(0)).isEqualTo(ControlLoop.THREAD_NAME);
      assertThat(seen.get(1)).isEqualTo(ControlLoop.THREAD_NAME);
      assertThat(seen.get(2)).as("blocking work runs on a worker").startsWith("vert.x-worker-thread");
      assertThat(seen.get(3)).as("and its result comes back to the control loop").isEqualTo(ControlLoop.THREAD_NAME);

      control.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertThat(Thread.getAllStackTraces().keySet()).noneMatch(
          thread -> thread.getName().equals(ControlLoop.THREAD_NAME) && thread.isAlive());
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void a_nodes_scaling_ticks_run_on_the_control_loop_and_not_on_a_loop_that_serves_requests() throws Exception {
    try (TestNode node = TestNode.start(temp.resolve("state"))) {
      Set<String> tickThreads = ConcurrentHashMap.newKeySet();
      node.node().scaling().watch(app -> tickThreads.add(Thread.currentThread().getName()));
      node.deployAndAwaitReady(TestNode.appFolder(temp, "hello", "cerebrium.toml",
          Configs.cerebrium("hello", 1, 0, "")));

      assertThat(node.post("/v4/local/hello/echo", "{}").statusCode()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(10)).until(() -> tickThreads.size() > 0);
      assertThat(tickThreads).containsOnly(ControlLoop.THREAD_NAME);
    }
  }
}

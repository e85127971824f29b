package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.sluice.autoscaler.replica.ReplicaStatus;
import io.sluice.config.AppId;
import io.sluice.dataplane.apps.DeployedApp;
import io.sluice.dataplane.keda.protocol.ExternalScalerGrpcClient;
import io.sluice.dataplane.keda.protocol.GetMetricSpecResponse;
import io.sluice.dataplane.keda.protocol.GetMetricsRequest;
import io.sluice.dataplane.keda.protocol.IsActiveResponse;
import io.sluice.dataplane.keda.protocol.MetricSpec;
import io.sluice.dataplane.keda.protocol.ScaledObjectRef;
import io.sluice.dataplane.scaling.ScalingOptions;
import io.sluice.dataplane.support.Configs;
import io.sluice.dataplane.support.TestFleet;
import io.sluice.dataplane.support.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.grpc.client.GrpcClient;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.ServiceMethod;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * KEDA's external scaler, called as KEDA calls it: a gRPC client generated from the same {@code externalscaler.proto},
 * against the KEDA ports of a fleet of two nodes, with a real replica under load from a real HTTP client.
 */
class KedaScalerTest {

  private static final AppId APP = new AppId("local", "keda");
  /** Sluice's own decision tick; nodes publish their loads every second. */
  private static final Duration TICK = ScalingOptions.defaults().tick();
  private static final Duration PUBLICATION = Duration.ofSeconds(1);
  private static final int SLOW_REQUESTS = 6;
  private static final int TARGET = 4;

  @TempDir
  Path temp;

  private Vertx vertx;
  private GrpcClient grpc;

  @BeforeEach
  void client() {
    vertx = Vertx.vertx();
    grpc = GrpcClient.client(vertx);
  }

  @AfterEach
  void closeClient() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void reports_the_fleets_activity_and_concurrency_and_wakes_an_app_at_zero_within_a_tick() throws Exception {
    Path folder = TestNode.appFolder(temp, "keda", "config.yaml", app());
    try (TestFleet fleet = new TestFleet(temp.resolve("fleet"), options -> options.kedaPort(0)
        .scaling(new ScalingOptions("sluice", TICK, Duration.ofSeconds(2))))) {
      TestNode a = fleet.start(0);
      TestNode b = fleet.start(1);
      a.deploy(folder);
      await().atMost(Duration.ofSeconds(20)).until(() -> b.node().deployer().app(APP).isPresent());
      // The first replica (initial scale 1) goes once the scale-to-zero grace has passed: the app is at zero.
      await().atMost(Duration.ofSeconds(30)).until(() -> replicas(a).isEmpty() && replicas(b).isEmpty());
      // The stream is on the node that does not decide for the app, and the first request goes to the one that does:
      // the news crosses the fleet, and no decision on the stream's node can carry it there early.
      TestNode decider = a.node().decides(APP) ? a : b;
      TestNode watcher = decider == a ? b : a;
      ExternalScalerGrpcClient onWatcher = scaler(watcher);
      ExternalScalerGrpcClient onDecider = scaler(decider);
      ScaledObjectRef ref = ref(Map.of("app", "local/keda"));

      assertThat(get(onWatcher.isActive(ref)).getResult()).as("idle, from one node").isFalse();
      assertThat(get(onDecider.isActive(ref)).getResult()).as("idle, from the other").isFalse();
      GetMetricSpecResponse spec = get(onWatcher.getMetricSpec(ref));
      assertThat(spec.getMetricSpecsList()).extracting(MetricSpec::getMetricName, MetricSpec::getTargetSizeFloat)
          .containsExactly(org.assertj.core.groups.Tuple.tuple("sluice-local-keda-concurrency", (double) TARGET));
      BlockingQueue<GetMetricSpecResponse> specs = new LinkedBlockingQueue<>();
      get(onWatcher.streamMetricSpec(ref).map(opened -> opened.handler(specs::add)));
      assertThat(specs.poll(5, TimeUnit.SECONDS)).as("the spec at once, as GetMetricSpec gives it").isEqualTo(spec);

      BlockingQueue<Timed> stream = new LinkedBlockingQueue<>();
      // The handler is set on the client's event loop as the stream opens, so that no message comes before it.
      get(onWatcher.streamIsActive(ref).map(opened ->
          opened.handler(answer -> stream.add(new Timed(answer.getResult(), System.nanoTime())))));
      assertThat(stream.poll(5, TimeUnit.SECONDS)).as("the current value, at once").extracting(Timed::active)
          .isEqualTo(false);

      // The request's client has made its first connection already, so that the time measured is the fleet's.
      decider.send(decider.request("/v4/local/none/").build());
      long sent = System.nanoTime();
      List<CompletableFuture<HttpResponse<String>>> load = new ArrayList<>();
      load.add(slow(decider, a.apiKey()));
      Timed woke = stream.poll(10, TimeUnit.SECONDS);
      assertThat(woke).as("the stream tells of the first request").isNotNull();
      assertThat(woke.active()).isTrue();
      Duration wakeLatency = Duration.ofNanos(woke.nanos() - sent);
      assertThat(wakeLatency).as("pushed on the held request itself, not on the next publication")
          .isLessThan(PUBLICATION.dividedBy(4));

      for (int i = 1; i < SLOW_REQUESTS; i++) {
        load.add(slow(i % 2 == 0 ? decider : watcher, a.apiKey()));
      }
      await().atMost(Duration.ofSeconds(30)).until(() ->
          watcher.adminJson("/v1/apps/local/keda/metrics").getJsonObject("fleet").getInteger("in_flight") == SLOW_REQUESTS);
      // Both nodes' shares of the short window are full of the six requests.
      await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
        assertThat(concurrency(onWatcher, ref)).isCloseTo(SLOW_REQUESTS, within(SLOW_REQUESTS * 0.1));
        assertThat(adminConcurrency(watcher)).isCloseTo(SLOW_REQUESTS, within(SLOW_REQUESTS * 0.1));
      });
      double reported = concurrency(onWatcher, ref);
      double admin = adminConcurrency(watcher);
      assertThat(reported).as("GetMetrics against the admin API's merged concurrency")
          .isCloseTo(admin, within(admin * 0.1));
      assertThat(concurrency(onDecider, ref)).as("any node answers for the fleet")
          .isCloseTo(SLOW_REQUESTS, within(SLOW_REQUESTS * 0.1));
      assertThat(get(onWatcher.isActive(ref)).getResult()).isTrue();
      assertThat(get(onDecider.isActive(ref)).getResult()).isTrue();
      assertThat(stream).as("no change while the load lasts").isEmpty();

      for (CompletableFuture<HttpResponse<String>> answer : load) {
        assertThat(answer.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
      }
      Timed idle = stream.poll(15, TimeUnit.SECONDS);
      assertThat(idle).as("the stream tells when the window has no request left").isNotNull();
      assertThat(idle.active()).isFalse();
      assertThat(get(onDecider.isActive(ref)).getResult()).isFalse();
      assertThat(watcher.node().kedaStreams()).as("the activity stream and the metric spec stream").isEqualTo(2);

      grpc.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(10)).until(() -> watcher.node().kedaStreams() == 0);
      System.out.println("KEDA stream woke " + wakeLatency.toMillis() + " ms after the first request");
    }
  }

  @Test
  void bad_metadata_and_unknown_apps_get_the_status_and_a_message_that_names_the_key() throws Exception {
    try (TestNode node = TestNode.start(TestNode.options(temp.resolve("node")).kedaPort(0).build())) {
      node.deploy(TestNode.appFolder(temp, "keda", "config.yaml", app()));
      ExternalScalerGrpcClient scaler = scaler(node);
      await().atMost(Duration.ofSeconds(10)).until(() ->
          call(node, ExternalScalerGrpcClient.IsActive, ref(Map.of("app", "keda"))).status() == GrpcStatus.OK);

      assertThat(call(node, ExternalScalerGrpcClient.IsActive, ref(Map.of("onWatcherddress", "sluice:9091"))))
          .isEqualTo(new Outcome(GrpcStatus.INVALID_ARGUMENT, "ScaledObject default/chat: app: missing (expected: "
              + "the app to scale on, as `app: my-project/my-app`, or `app: my-app` with `project: my-project`)"));
      assertThat(call(node, ExternalScalerGrpcClient.GetMetricSpec, ref(Map.of("app", "keda", "metric", "p99"))))
          .isEqualTo(new Outcome(GrpcStatus.INVALID_ARGUMENT,
              "ScaledObject default/chat: metric: p99 (expected: concurrency or rate)"));
      assertThat(call(node, ExternalScalerGrpcClient.GetMetricSpec, ref(Map.of("app", "keda", "target", "-2"))))
          .extracting(Outcome::status).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
      Outcome rateWithoutTarget = call(node, ExternalScalerGrpcClient.GetMetricSpec,
          ref(Map.of("app", "keda", "metric", "rate")));
      assertThat(rateWithoutTarget.status()).isEqualTo(GrpcStatus.INVALID_ARGUMENT);
      assertThat(rateWithoutTarget.message()).startsWith("ScaledObject default/chat: target: missing (the app "
          + "local/keda scales on concurrency_utilization").contains("set `target`");
      Outcome unknown = call(node, ExternalScalerGrpcClient.GetMetrics, GetMetricsRequest.newBuilder()
          .setScaledObjectRef(ref(Map.of("app", "local/nope"))).setMetricName("sluice-local-nope-concurrency")
          .build());
      assertThat(unknown).isEqualTo(new Outcome(GrpcStatus.NOT_FOUND, "ScaledObject default/chat: app: local/nope "
          + "is not deployed in this fleet (expected: a deployed app, as project/name; `sluice apps` lists them)"));
      assertThat(call(node, ExternalScalerGrpcClient.StreamIsActive, ref(Map.of("app", "local/nope"))).status())
          .isEqualTo(GrpcStatus.NOT_FOUND);
      assertThat(call(node, ExternalScalerGrpcClient.StreamMetricSpec, ref(Map.of("app", "local/nope"))).status())
          .isEqualTo(GrpcStatus.NOT_FOUND);

      GetMetricSpecResponse rate = get(scaler.getMetricSpec(ref(Map.of("app", "keda", "metric", "rate",
          "target", "2.5"))));
      assertThat(rate.getMetricSpecs(0).getMetricName()).isEqualTo("sluice-local-keda-rate");
      assertThat(rate.getMetricSpecs(0).getTargetSizeFloat()).isEqualTo(2.5);
      assertThat(rate.getMetricSpecs(0).getTargetSize()).as("the deprecated whole number").isEqualTo(3);
    }
  }

  /** A Truss app that scales on concurrency with a target of 4 and a 2 s window; one replica carries 16 at once. */
  private static String app() {
    return Configs.truss("keda", """
        runtime:
          predict_concurrency: 16
        autoscaling_settings:
          min_replica: 0
          max_replica: 1
          concurrency_target: %d
          target_utilization_percentage: 100
          autoscaling_window: 2
          scale_down_delay: 0
        """.formatted(TARGET));
  }

  private record Timed(boolean active, long nanos) {}

  private record Outcome(GrpcStatus status, String message) {}

  private ExternalScalerGrpcClient scaler(TestNode node) {
    return ExternalScalerGrpcClient.create(grpc, address(node));
  }

  private static SocketAddress address(TestNode node) {
    return SocketAddress.inetSocketAddress(node.node().kedaPort().orElseThrow(), "127.0.0.1");
  }

  /** The ref KEDA sends: the ScaledObject's name and namespace, and its trigger's metadata. */
  private static ScaledObjectRef ref(Map<String, String> metadata) {
    return ScaledObjectRef.newBuilder().setName("chat").setNamespace("default").putAllScalerMetadata(metadata).build();
  }

  /** Calls one method and keeps the status and message the node answered with, whatever they are. */
  private <Req, Resp> Outcome call(TestNode node, ServiceMethod<Resp, Req> method, Req request) throws Exception {
    return get(grpc.request(address(node), method).compose(call -> call.end(request)
        .compose(sent -> call.response())
        .compose(response -> response.end().transform(done -> Future.succeededFuture(
            new Outcome(response.status(), response.statusMessage()))))));
  }

  private double concurrency(ExternalScalerGrpcClient scaler, ScaledObjectRef ref) throws Exception {
    return get(scaler.getMetrics(GetMetricsRequest.newBuilder().setScaledObjectRef(ref)
        .setMetricName("sluice-local-keda-concurrency").build())).getMetricValues(0).getMetricValueFloat();
  }

  private static double adminConcurrency(TestNode node) throws Exception {
    JsonObject fleet = node.adminJson("/v1/apps/local/keda/metrics").getJsonObject("fleet");
    Double panic = fleet.getJsonObject("concurrency").getDouble("panic");
    return panic == null ? 0 : panic;
  }

  /** A request that stays on the replica for a while: the load KEDA should see. */
  private static CompletableFuture<HttpResponse<String>> slow(TestNode node, String key) {
    return node.http().sendAsync(HttpRequest.newBuilder(
            URI.create(node.publicUrl() + "/v4/local/keda/predict?latency_ms=8000"))
        .header("Authorization", "Bearer " + key).timeout(Duration.ofSeconds(60))
        .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static List<ReplicaStatus> replicas(TestNode node) {
    return node.node().deployer().app(APP).map(DeployedApp::replicas).orElse(List.of());
  }

  private static <T> T get(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}

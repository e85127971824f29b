package io.sluice.dataplane.keda;

import io.sluice.config.AppId;
import io.sluice.dataplane.keda.ScalerMetadata.BadMetadata;
import io.sluice.dataplane.keda.protocol.ExternalScalerGrpcService;
import io.sluice.dataplane.keda.protocol.GetMetricSpecResponse;
import io.sluice.dataplane.keda.protocol.GetMetricsRequest;
import io.sluice.dataplane.keda.protocol.GetMetricsResponse;
import io.sluice.dataplane.keda.protocol.IsActiveResponse;
import io.sluice.dataplane.keda.protocol.MetricSpec;
import io.sluice.dataplane.keda.protocol.MetricValue;
import io.sluice.dataplane.keda.protocol.ScaledObjectRef;
import io.sluice.dataplane.scaling.MergedLoad;
import io.sluice.dataplane.scaling.MergedLoads;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import io.vertx.grpc.server.StatusException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * KEDA's external scaler ({@code externalscaler.proto}) answered from the fleet's merged load ({@link MergedLoads}):
 * any node answers for any app, from its mirror of what every node published, never with a round trip.
 *
 * <ul>
 *   <li>{@code IsActive}: whether the app has requests in flight or held anywhere in the fleet, or had any within its
 *       stable window ({@link MergedLoad#active()}).
 *   <li>{@code StreamIsActive}: the same, sent at once and then on every change: the node re-reads it every time a
 *       load is published or arrives (each second at most) and at once when a request is held for an app at zero,
 *       so a {@code ScaledObject} at zero wakes on the first request rather than at KEDA's next poll.
 *   <li>{@code GetMetricSpec}: one metric, {@code sluice-<project>-<app>-<metric>}, with the target per replica.
 *   <li>{@code StreamMetricSpec}: the same, sent at once and again when it changes (a redeploy with another target).
 *   <li>{@code GetMetrics}: the fleet's merged value of that metric ({@link KedaMetric}).
 * </ul>
 *
 * <p>A trigger's bad metadata is {@code INVALID_ARGUMENT} and an app the fleet does not run {@code NOT_FOUND}, each
 * with a message that names the key and what would do.
 */
public final class KedaScaler extends ExternalScalerGrpcService {

  private final MergedLoads loads;
  private final Map<AppId, Set<UpdateStream<?>>> streams = new ConcurrentHashMap<>();

  public KedaScaler(MergedLoads loads) {
    this.loads = loads;
    loads.watch(this::changed);
  }

  @Override
  public void bind(GrpcServer server) {
    builder(this).bind(IsActive, GetMetricSpec, GetMetrics).build().bind(server);
    server.callHandler(StreamIsActive, request -> stream(request,
        ref -> () -> loads.merged(ref.app()).map(KedaScaler::activity).orElse(activity(false))));
    server.callHandler(StreamMetricSpec, request -> stream(request, ref -> () -> {
      try {
        return metricSpec(resolve(ref.request()));
      } catch (StatusException gone) {
        return null; // an app being redeployed or removed: the spec sent last stands
      }
    }));
  }

  @Override
  public Future<IsActiveResponse> isActive(ScaledObjectRef request) {
    try {
      return Future.succeededFuture(activity(resolve(request).load()));
    } catch (StatusException e) {
      return Future.failedFuture(e);
    }
  }

  @Override
  public Future<GetMetricSpecResponse> getMetricSpec(ScaledObjectRef request) {
    try {
      return Future.succeededFuture(metricSpec(resolve(request)));
    } catch (StatusException e) {
      return Future.failedFuture(e);
    }
  }

  private static GetMetricSpecResponse metricSpec(Resolved resolved) {
    double target = resolved.target();
    return GetMetricSpecResponse.newBuilder().addMetricSpecs(MetricSpec.newBuilder()
        .setMetricName(resolved.metadata().metricName())
        .setTargetSizeFloat(target)
        // The deprecated whole-number target, for KEDAs that read only it: never 0, which would scale without end.
        .setTargetSize(Math.max(1, Math.round(target)))).build();
  }

  @Override
  public Future<GetMetricsResponse> getMetrics(GetMetricsRequest request) {
    try {
      Resolved resolved = resolve(request.getScaledObjectRef());
      double value = resolved.metadata().metric().valueOf(resolved.load());
      // KEDA asks for the metric by the name GetMetricSpec gave, and reads the answer under the name it asked for.
      String name = request.getMetricName().isEmpty() ? resolved.metadata().metricName() : request.getMetricName();
      return Future.succeededFuture(GetMetricsResponse.newBuilder().addMetricValues(MetricValue.newBuilder()
          .setMetricName(name)
          .setMetricValueFloat(value)
          .setMetricValue(Math.round(value))).build());
    } catch (StatusException e) {
      return Future.failedFuture(e);
    }
  }

  /** How many {@code StreamIsActive} streams are open now. */
  public int openStreams() {
    return streams.values().stream().mapToInt(Set::size).sum();
  }

  /**
   * Opens a stream of updates for the trigger the request names: what {@code current} says is sent at once, then
   * whenever it changes.
   */
  private <T> void stream(GrpcServerRequest<ScaledObjectRef, T> request,
      Function<StreamRef, Supplier<T>> current) {
    request.handler(ref -> {
      GrpcServerResponse<ScaledObjectRef, T> response = request.response();
      AppId app;
      try {
        app = resolve(ref).metadata().app();
      } catch (StatusException e) {
        response.fail(e);
        return;
      }
      UpdateStream<T> stream = new UpdateStream<>(app, response, Vertx.currentContext(),
          current.apply(new StreamRef(app, ref)));
      streams.computeIfAbsent(app, key -> ConcurrentHashMap.newKeySet()).add(stream);
      // KEDA cancels the stream (a reset) or its connection goes: either way the stream is done.
      request.exceptionHandler(e -> forget(stream));
      response.exceptionHandler(e -> forget(stream));
      stream.push();
    });
  }

  /** The trigger a stream was opened for. */
  private record StreamRef(AppId app, ScaledObjectRef request) {}

  /** An app's load may have changed: each of its streams looks again, on its own event loop. */
  private void changed(AppId app) {
    Set<UpdateStream<?>> open = streams.get(app);
    if (open != null) {
      open.forEach(UpdateStream::schedule);
    }
  }

  private void forget(UpdateStream<?> stream) {
    streams.computeIfPresent(stream.app, (app, open) -> {
      open.remove(stream);
      return open.isEmpty() ? null : open;
    });
  }

  private static IsActiveResponse activity(MergedLoad load) {
    return activity(load.active());
  }

  private static IsActiveResponse activity(boolean active) {
    return IsActiveResponse.newBuilder().setResult(active).build();
  }

  private Resolved resolve(ScaledObjectRef ref) {
    ScalerMetadata metadata;
    try {
      metadata = ScalerMetadata.parse(ref.getScalerMetadataMap());
    } catch (BadMetadata e) {
      throw new StatusException(GrpcStatus.INVALID_ARGUMENT, describe(ref) + e.getMessage());
    }
    MergedLoad load = loads.merged(metadata.app()).orElseThrow(() -> new StatusException(GrpcStatus.NOT_FOUND,
        describe(ref) + ScalerMetadata.APP + ": " + metadata.app() + " is not deployed in this fleet (expected: a "
            + "deployed app, as project/name; `sluice apps` lists them)"));
    double target;
    if (metadata.target().isPresent()) {
      target = metadata.target().getAsDouble();
    } else if (metadata.metric().sameAs(load.metric())) {
      target = load.targetPerReplica();
    } else {
      throw new StatusException(GrpcStatus.INVALID_ARGUMENT, describe(ref) + ScalerMetadata.TARGET + ": missing (the "
          + "app " + metadata.app() + " scales on " + load.metric().configName() + ", so its own target does not "
          + "apply to `" + ScalerMetadata.METRIC + ": " + metadata.metric().metadataName() + "`; set `"
          + ScalerMetadata.TARGET + "` to what one replica should carry)");
    }
    return new Resolved(metadata, load, target);
  }

  private static String describe(ScaledObjectRef ref) {
    return ref.getName().isEmpty() ? "" : "ScaledObject " + ref.getNamespace() + "/" + ref.getName() + ": ";
  }

  private record Resolved(ScalerMetadata metadata, MergedLoad load, double target) {}

  /**
   * One open stream ({@code StreamIsActive}, {@code StreamMetricSpec}): it sends what {@code current} says when it
   * differs from what it last sent. Looks happen on the stream's own event loop, coalesced: many changes while one is
   * pending make one look.
   */
  private final class UpdateStream<T> {

    final AppId app;
    private final GrpcServerResponse<ScaledObjectRef, T> response;
    private final Context context;
    private final Supplier<T> current;
    private final AtomicBoolean scheduled = new AtomicBoolean();
    /** What was sent last; null before the first. Touched on {@link #context} only. */
    private T sent;

    UpdateStream(AppId app, GrpcServerResponse<ScaledObjectRef, T> response, Context context, Supplier<T> current) {
      this.app = app;
      this.response = response;
      this.context = context;
      this.current = current;
    }

    void schedule() {
      if (scheduled.compareAndSet(false, true)) {
        context.runOnContext(v -> {
          scheduled.set(false);
          push();
        });
      }
    }

    void push() {
      T now = current.get();
      if (now == null || now.equals(sent)) {
        return;
      }
      if (response.writeQueueFull()) {
        // KEDA reads slowly: the latest value goes out once it has read, not a queue of stale ones.
        response.drainHandler(v -> push());
        return;
      }
      sent = now;
      response.write(now).onFailure(e -> forget(this));
    }
  }
}

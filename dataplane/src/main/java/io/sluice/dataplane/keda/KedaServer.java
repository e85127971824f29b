package io.sluice.dataplane.keda;

import io.sluice.dataplane.keda.protocol.ExternalScalerGrpcService;
import io.sluice.dataplane.keda.protocol.GetMetricsResponse;
import io.sluice.dataplane.keda.protocol.IsActiveResponse;
import io.sluice.dataplane.scaling.MergedLoads;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.server.GrpcServer;

/**
 * KEDA's external scaler on its own port (gRPC over clear-text HTTP/2), bound to the admin address: a
 * {@code ScaledObject}'s {@code external-push} trigger points its {@code scalerAddress} here.
 */
public final class KedaServer extends VerticleBase {

  private final MergedLoads loads;
  private final String host;
  private final int port;
  private HttpServer server;
  private KedaScaler scaler;

  /** @param port 0 for any free port */
  public KedaServer(MergedLoads loads, String host, int port) {
    this.loads = loads;
    this.host = host;
    this.port = port;
  }

  /**
   * Initialises the protocol's classes (protobuf resolves its descriptors then: a few hundred milliseconds), so that
   * no event loop does it when the server starts or answers its first call. Call off the event loops.
   */
  public static void prepare() {
    ExternalScalerGrpcService.SERVICE_DESCRIPTOR.getMethods();
    IsActiveResponse.getDefaultInstance();
    GetMetricsResponse.getDefaultInstance();
  }

  @Override
  public Future<?> start() {
    scaler = new KedaScaler(loads);
    GrpcServer grpc = GrpcServer.server(vertx).addService(scaler);
    server = vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port)).requestHandler(grpc);
    return server.listen();
  }

  public int actualPort() {
    return server.actualPort();
  }

  /** How many {@code StreamIsActive} streams are open now. */
  public int openStreams() {
    return scaler.openStreams();
  }
}

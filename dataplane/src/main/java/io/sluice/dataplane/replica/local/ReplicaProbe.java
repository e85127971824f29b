package io.sluice.dataplane.replica.local;

import io.vertx.core.Future;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetClient;
import java.util.Optional;

/**
 * One readiness or liveness check: an HTTP GET that passes on a 2xx answer (the seeds: "a non-200 response" fails),
 * or, when the app names no endpoint, a TCP connect to its port.
 */
final class ReplicaProbe {

  private static final String HOST = "127.0.0.1";

  private final HttpClient http;
  private final NetClient tcp;
  private final long timeoutMillis;

  ReplicaProbe(HttpClient http, NetClient tcp, long timeoutMillis) {
    this.http = http;
    this.tcp = tcp;
    this.timeoutMillis = timeoutMillis;
  }

  /** Never fails: a probe that cannot complete is a failed probe. */
  Future<Boolean> check(int port, Optional<String> path) {
    Future<Boolean> result = path.isPresent() ? httpGet(port, path.get()) : connect(port);
    return result.recover(failure -> Future.succeededFuture(false));
  }

  private Future<Boolean> httpGet(int port, String path) {
    RequestOptions options = new RequestOptions()
        .setMethod(HttpMethod.GET)
        .setHost(HOST)
        .setPort(port)
        .setURI(path)
        .setConnectTimeout(timeoutMillis)
        .setIdleTimeout(timeoutMillis);
    return http.request(options)
        .compose(request -> request.send())
        .compose(response -> response.body().map(ignored -> response.statusCode() / 100 == 2));
  }

  private Future<Boolean> connect(int port) {
    return tcp.connect(port, HOST).compose(socket -> socket.close().map(true));
  }
}

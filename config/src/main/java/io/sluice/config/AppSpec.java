package io.sluice.config;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything Sluice needs to run and route one app, read from the user's own config.
 *
 * @param secretNames the secrets the replica gets as files under {@code /secrets/<name>}; their values live in the
 *     node's secret store, never in the config
 * @param authRequired false when the config disables auth for this app (Cerebrium {@code disable_auth = true})
 * @param requestTimeout how long the node waits for a replica's response (or its next bytes) before answering 504
 * @param websocket the limits of the app's WebSocket sessions
 * @param capture whether the start of the app's bodies is kept with its request records
 * @param container the app's image and the packages installed into it, which only a cluster uses
 */
public record AppSpec(
    AppId id,
    ConfigFormat format,
    RuntimeSpec runtime,
    ScalingSpec scaling,
    HardwareSpec hardware,
    Map<String, String> env,
    List<String> secretNames,
    boolean authRequired,
    Duration requestTimeout,
    WebSocketSpec websocket,
    PayloadCapture capture,
    ContainerSpec container) {

  public AppSpec {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(runtime, "runtime");
    Objects.requireNonNull(scaling, "scaling");
    Objects.requireNonNull(hardware, "hardware");
    env = Map.copyOf(Objects.requireNonNull(env, "env"));
    secretNames = List.copyOf(Objects.requireNonNull(secretNames, "secretNames"));
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    if (requestTimeout.isNegative() || requestTimeout.isZero()) {
      throw new IllegalArgumentException("requestTimeout: " + requestTimeout + " (expected: > 0)");
    }
    Objects.requireNonNull(websocket, "websocket");
    Objects.requireNonNull(capture, "capture");
    Objects.requireNonNull(container, "container");
  }

  /** An app whose config says nothing about its container. */
  public AppSpec(AppId id, ConfigFormat format, RuntimeSpec runtime, ScalingSpec scaling, HardwareSpec hardware,
      Map<String, String> env, List<String> secretNames, boolean authRequired, Duration requestTimeout,
      WebSocketSpec websocket, PayloadCapture capture) {
    this(id, format, runtime, scaling, hardware, env, secretNames, authRequired, requestTimeout, websocket, capture,
        ContainerSpec.NONE);
  }

  /** An app that keeps no bodies with its records. */
  public AppSpec(AppId id, ConfigFormat format, RuntimeSpec runtime, ScalingSpec scaling, HardwareSpec hardware,
      Map<String, String> env, List<String> secretNames, boolean authRequired, Duration requestTimeout,
      WebSocketSpec websocket) {
    this(id, format, runtime, scaling, hardware, env, secretNames, authRequired, requestTimeout, websocket,
        PayloadCapture.OFF);
  }

  /** The same app under another id (deploy with {@code --project}/{@code --name}). */
  public AppSpec withId(AppId newId) {
    return new AppSpec(newId, format, runtime, scaling, hardware, env, secretNames, authRequired, requestTimeout,
        websocket, capture, container);
  }

  /** The same app with other secret names (on a cluster, a Cerebrium app's are its project's, as it sees them). */
  public AppSpec withSecretNames(List<String> names) {
    return new AppSpec(id, format, runtime, scaling, hardware, env, names, authRequired, requestTimeout, websocket,
        capture, container);
  }

  /** The same app with another container. */
  public AppSpec withContainer(ContainerSpec newContainer) {
    return new AppSpec(id, format, runtime, scaling, hardware, env, secretNames, authRequired, requestTimeout,
        websocket, capture, newContainer);
  }
}

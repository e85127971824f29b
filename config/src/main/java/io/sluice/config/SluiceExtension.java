package io.sluice.config;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;

/** Sluice's own table, {@code [sluice]} in TOML and {@code sluice:} in YAML, for what neither format can say. */
final class SluiceExtension {

  static final long DEFAULT_REQUEST_TIMEOUT_SECONDS = 300;

  private SluiceExtension() {}

  /**
   * {@code disable_auth}: the app opens to anyone who can reach the node. Cerebrium says it in
   * {@code [cerebrium.deployment]}; Truss has no such key, so a Truss app says it here.
   */
  static boolean authDisabled(ConfigTable root) {
    return root.table("sluice").bool("disable_auth", false);
  }

  static Duration requestTimeout(ConfigTable root) {
    return root.table("sluice").seconds("request_timeout", DEFAULT_REQUEST_TIMEOUT_SECONDS, 1);
  }

  /**
   * {@code websocket_idle_timeout}, {@code websocket_max_session} and {@code websocket_max_message_bytes}: how long the
   * app's WebSocket sessions may idle and last, and how large a message a client may send it. The message limit is
   * checked against the node's own when the socket opens (the node's file is not known here): the lower one applies.
   */
  static WebSocketSpec websocket(ConfigTable root) {
    ConfigTable sluice = root.table("sluice");
    Duration idle = sluice.seconds("websocket_idle_timeout", WebSocketSpec.DEFAULT_IDLE_TIMEOUT.toSeconds(), 1);
    Duration session = sluice.seconds("websocket_max_session", 0, 0);
    Optional<Integer> bytes =
        sluice.optionalInteger("websocket_max_message_bytes", WebSocketSpec.MIN_MESSAGE_BYTES, Integer.MAX_VALUE);
    return new WebSocketSpec(idle, session, bytes.map(OptionalLong::of).orElse(OptionalLong.empty()));
  }

  /**
   * {@code capture_payloads} and {@code capture_payload_bytes}: keep the start of the app's request and response
   * bodies with its request records (redacted), for the dashboard and {@code sluice requests}.
   */
  static PayloadCapture capture(ConfigTable root) {
    ConfigTable sluice = root.table("sluice");
    return new PayloadCapture(sluice.bool("capture_payloads", false), sluice.integer("capture_payload_bytes",
        PayloadCapture.DEFAULT_MAX_BYTES, 1, PayloadCapture.LIMIT_MAX_BYTES));
  }

  /**
   * {@code protocol}: what the user's server speaks. Empty when the key is absent, so that a Truss file can say it in
   * Baseten's own key instead, and when its value was refused (the problem is recorded).
   */
  static Optional<UpstreamProtocol> protocol(ConfigTable root) {
    ConfigTable sluice = root.table("sluice");
    Optional<String> name = sluice.string("protocol", UpstreamProtocol.configNames());
    Optional<UpstreamProtocol> protocol = name.flatMap(UpstreamProtocol::fromConfigName);
    if (name.isPresent() && protocol.isEmpty()) {
      sluice.problem("protocol", "unknown protocol", UpstreamProtocol.configNames());
    }
    return protocol;
  }

  /** {@code observe_service}: the existing Service whose pods the app is, on a cluster (observe-only). */
  static Optional<String> observedService(ConfigTable root) {
    ConfigTable sluice = root.table("sluice");
    Optional<String> name = sluice.string("observe_service", ContainerSpec.SERVICE_NAME_RULE);
    if (name.isPresent() && !ContainerSpec.SERVICE_NAME.matcher(name.get()).matches()) {
      sluice.problem("observe_service", "not a Service name", ContainerSpec.SERVICE_NAME_RULE);
      return Optional.empty();
    }
    return name;
  }
}

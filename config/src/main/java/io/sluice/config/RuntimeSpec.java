package io.sluice.config;

import java.util.Objects;
import java.util.Optional;

/**
 * The user's server: how to start it, the port it says it listens on, its endpoints, and the protocol it speaks.
 *
 * <p>An empty health or ready path means "probe by TCP connect on the port", as both seeds specify.
 * {@code predictPath} is set for Truss apps only (their {@code /predict} maps to it). {@code protocol} is what the
 * server speaks, {@link UpstreamProtocol#HTTP1} unless its config says otherwise.
 */
public record RuntimeSpec(
    Command command,
    int port,
    Optional<String> healthPath,
    Optional<String> readyPath,
    Optional<String> predictPath,
    UpstreamProtocol protocol) {

  public RuntimeSpec {
    Objects.requireNonNull(command, "command");
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 1..65535)");
    }
    healthPath = checkPath("healthPath", healthPath);
    readyPath = checkPath("readyPath", readyPath);
    predictPath = checkPath("predictPath", predictPath);
    Objects.requireNonNull(protocol, "protocol");
  }

  private static Optional<String> checkPath(String what, Optional<String> path) {
    Objects.requireNonNull(path, what);
    path.ifPresent(p -> {
      if (!p.startsWith("/")) {
        throw new IllegalArgumentException(what + ": " + p + " (expected: a path starting with '/')");
      }
    });
    return path;
  }
}

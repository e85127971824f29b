package io.sluice.autoscaler.replica;

/** Where a replica's server answers. */
public record Endpoint(String host, int port) {

  public Endpoint {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("host: " + host + " (expected: a host name or address)");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port: " + port + " (expected: 1..65535)");
    }
  }

  @Override
  public String toString() {
    return host + ":" + port;
  }
}

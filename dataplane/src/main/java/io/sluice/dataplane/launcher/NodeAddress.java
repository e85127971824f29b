package io.sluice.dataplane.launcher;

import picocli.CommandLine.Option;

/** The {@code --node} option that every client command shares. */
final class NodeAddress {

  @Option(names = "--node", paramLabel = "URL",
      description = "Admin URL of the node (default: $SLUICE_NODE, else http://127.0.0.1:9090).")
  String url;

  AdminClient client() {
    String chosen = url != null ? url : System.getenv().getOrDefault("SLUICE_NODE", "http://127.0.0.1:9090");
    return new AdminClient(chosen);
  }
}

package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.dataplane.support.Configs;
import io.sluice.dataplane.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's keep-alive connections to replicas, seen from the replica: which connection each request arrives on
 * (the example server echoes the node's port), after the node's connection sat idle for a while. One client
 * connection throughout, so every request goes through the same event loop and its pool.
 */
class UpstreamKeepAliveTest {

  @TempDir
  static Path temp;

  static TestNode node;

  @BeforeAll
  static void startNode() throws Exception {
    node = TestNode.start(temp.resolve("state"));
    node.deployAndAwaitReady(TestNode.appFolder(temp, "closing", "cerebrium.toml", app("closing", "1")));
    node.deployAndAwaitReady(TestNode.appFolder(temp, "keeping", "cerebrium.toml", app("keeping", "")));
  }

  @AfterAll
  static void stopNode() throws Exception {
    node.close();
  }

  /**
   * The example server, closing connections idle for {@code keepAliveSeconds} (empty: never). The line goes into the
   * environment variables, the config's last table.
   */
  static String app(String name, String keepAliveSeconds) {
    return Configs.cerebrium(name, 1, 0, "KEEP_ALIVE_SECONDS = \"" + keepAliveSeconds + "\"\n");
  }

  /** Posts a body to the app's echo route; the port of the node's connection the replica saw it on. */
  static int post(String app) throws Exception {
    HttpResponse<String> response = node.post("/v4/local/" + app + "/echo", "{\"n\": 1}");
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return new JsonObject(response.body()).getInteger("client_port");
  }

  /** Lets the node's connection sit idle: what is tested is the node against the replica's own idle timer. */
  static void idle(Duration duration) throws InterruptedException {
    Thread.sleep(duration.toMillis());
  }

  @Test
  void after_the_replica_closes_an_idle_connection_the_node_stops_reusing_one_well_before_that_age() throws Exception {
    int first = post("closing");
    assertThat(post("closing")).as("reused at once").isEqualTo(first);

    idle(Duration.ofMillis(1_500));
    int second = post("closing");
    assertThat(second).as("the replica closed the first after 1 s").isNotEqualTo(first);

    // Open at the replica for another 250 ms, but a request with a body sent as it closes would be lost.
    idle(Duration.ofMillis(750));
    int third = post("closing");
    assertThat(third).isNotEqualTo(second);
    assertThat(post("closing")).isEqualTo(third);
  }

  @Test
  void a_replica_that_keeps_idle_connections_gets_them_reused_after_longer_idle_times() throws Exception {
    int first = post("keeping");

    idle(Duration.ofMillis(5_000));
    int second = post("keeping");
    assertThat(second).as("idle longer than anything seen open so far").isNotEqualTo(first);

    // The first connection, still open at 9.5 s, shows that the replica keeps them: the second, idle 4.5 s, is used.
    idle(Duration.ofMillis(4_500));
    assertThat(post("keeping")).isEqualTo(second);
  }
}

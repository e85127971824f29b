package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.impl.HazelcastInstanceProxy;
import io.sluice.dataplane.support.Configs;
import io.sluice.dataplane.support.TestNode;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DESIGN.md's rule that no request makes a Hazelcast round trip, checked by counting the operations the node's
 * Hazelcast member runs while requests go through it: a per-request map read or counter would run one per request.
 */
class NoFleetRoundTripTest {

  private static final int REQUESTS = 500;

  @TempDir
  Path temp;

  @Test
  void requests_through_a_node_run_no_fleet_operations() throws Exception {
    try (TestNode node = TestNode.start(temp.resolve("state"))) {
      node.deployAndAwaitReady(TestNode.appFolder(temp, "hello", "cerebrium.toml",
          Configs.cerebrium("hello", 1, 0, "")));
      node.get("/v4/local/hello/echo");
      long before = executedOperations(node);

      for (int i = 0; i < REQUESTS; i++) {
        HttpResponse<String> response = node.post("/v4/local/hello/echo", "{\"i\": " + i + "}");
        assertThat(response.statusCode()).isEqualTo(200);
      }

      long during = executedOperations(node) - before;
      assertThat(during).as("Hazelcast operations while %d requests went through", REQUESTS)
          .isLessThan(REQUESTS / 10);
    }
  }

  private static long executedOperations(TestNode node) {
    HazelcastInstance hazelcast = node.node().fleet().clusterManager().getHazelcastInstance();
    return ((HazelcastInstanceProxy) hazelcast).getOriginal().node.getNodeEngine().getOperationService()
        .getExecutedOperationCount();
  }
}

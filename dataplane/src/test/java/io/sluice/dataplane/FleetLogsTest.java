package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.autoscaler.replica.ReplicaState;
import io.sluice.autoscaler.replica.ReplicaStatus;
import io.sluice.config.AppId;
import io.sluice.dataplane.apps.DeployedApp;
import io.sluice.dataplane.support.TestFleet;
import io.sluice.dataplane.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replicas' logs in a fleet of two: whichever node a client asks, it gets the lines of the app's replicas on every
 * node, followed live, replicas that start later on either node included.
 */
class FleetLogsTest {

  private static final AppId APP = new AppId("local", "roaming");

  @TempDir
  Path temp;

  /** A follower of an app's logs through one node's admin API, reading events on a thread of its own. */
  static final class Follower implements AutoCloseable {
    final List<JsonObject> lines = new CopyOnWriteArrayList<>();
    final HttpResponse<Stream<String>> response;

    Follower(TestNode node, String path) throws Exception {
      response = node.http().send(HttpRequest.newBuilder(URI.create(node.adminUrl() + path))
          .header("Authorization", "Bearer " + node.adminToken()).GET().build(), HttpResponse.BodyHandlers.ofLines());
      assertThat(response.statusCode()).isEqualTo(200);
      Thread reader = new Thread(() -> {
        StringBuilder data = new StringBuilder();
        try {
          response.body().forEach(line -> {
            if (line.startsWith("data: ")) {
              data.append(line.substring(6));
            } else if (line.isEmpty() && data.length() > 0) {
              lines.add(new JsonObject(data.toString()));
              data.setLength(0);
            }
          });
        } catch (RuntimeException closed) {
          // The test closed the stream.
        }
      }, "test-follower");
      reader.setDaemon(true);
      reader.start();
    }

    /** The texts of the lines of one replica, in the order they came. */
    List<String> texts(String replica) {
      return lines.stream().filter(line -> line.getString("replica").equals(replica))
          .map(line -> line.getString("text")).toList();
    }

    @Override
    public void close() {
      response.body().close();
    }
  }

  @Test
  void a_line_printed_by_a_replica_that_starts_on_one_node_reaches_a_follower_of_the_other() throws Exception {
    Path folder = TestNode.appFolder(temp, "roaming", "config.yaml", ScalingEndToEndTest.scalable("roaming", 0, 4, 4,
        1));
    try (TestFleet fleet = new TestFleet(temp.resolve("fleet"))) {
      TestNode a = fleet.start(0);
      TestNode b = fleet.start(1);
      a.deploy(folder);
      await().atMost(Duration.ofSeconds(20)).until(() -> b.node().deployer().app(APP).isPresent());
      // The first replica (initial scale 1) goes once the scale-to-zero grace has passed: the next starts later.
      await().atMost(Duration.ofSeconds(30)).until(() -> running(a).isEmpty() && running(b).isEmpty());

      try (Follower onA = new Follower(a, "/v1/apps/local/roaming/logs?follow=true&tail=0");
          Follower onB = new Follower(b, "/v1/apps/local/roaming/logs?follow=true&tail=0")) {
        // Wakes the app: a replica starts on one of the nodes, and the held request prints the line.
        HttpResponse<String> printed = a.send(HttpRequest.newBuilder(URI.create(a.publicUrl()
                + "/v4/local/roaming/control/print?text=printed+after+waking"))
            .header("Authorization", "Bearer " + a.apiKey()).timeout(Duration.ofSeconds(30)).build());
        assertThat(printed.statusCode()).as(printed.body()).isEqualTo(200);
        String replica = new JsonObject(printed.body()).getString("replica");
        DeployedApp seen = a.node().deployer().app(APP).orElseThrow();
        String runsOn = seen.replicas().stream().filter(r -> r.id().name().equals(replica)).findFirst()
            .flatMap(r -> seen.nodeOf(r.id())).orElseThrow();
        Follower remote = runsOn.equals(a.node().fleet().self()) ? onB : onA;

        for (Follower follower : List.of(remote, runsOn.equals(a.node().fleet().self()) ? onA : onB)) {
          await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(follower.texts(replica))
              .as("the node's note of the replica's start, then its own line")
              .anySatisfy(text -> assertThat(text).startsWith("start #1 on port"))
              .contains("printed after waking"));
        }
        assertThat(remote.texts(replica)).doesNotHaveDuplicates();
      }

      String fromElsewhere = (running(a).isEmpty() ? a : b).admin("GET", "/v1/apps/local/roaming/logs?tail=50", null)
          .body();
      assertThat(fromElsewhere).as("the one-shot read, on the node that does not run the replica")
          .contains(" stdout printed after waking\n");
    }
  }

  /** The app's replicas the node runs that are starting or ready. */
  private static List<ReplicaStatus> running(TestNode node) {
    return node.node().deployer().app(APP).map(DeployedApp::replicas).orElse(List.of()).stream()
        .filter(r -> r.state() != ReplicaState.STOPPED && r.state() != ReplicaState.FAILED)
        .filter(r -> node.node().deployer().app(APP).orElseThrow().nodeOf(r.id())
            .map(id -> id.equals(node.node().fleet().self())).orElse(false))
        .toList();
  }
}

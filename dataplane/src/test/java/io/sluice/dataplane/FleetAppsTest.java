package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.config.AppId;
import io.sluice.dataplane.support.TestFleet;
import io.sluice.dataplane.support.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Deployed apps are fleet state: a deploy or removal through any node reaches every node, and survives restarts. */
class FleetAppsTest {

  private static final String CONFIG = """
      [cerebrium.deployment]
      name = "shared"
      [cerebrium.runtime.custom]
      port = 8192
      entrypoint = ["python3", "main.py"]
      healthcheck_endpoint = "/health"
      readycheck_endpoint = "/ready"
      [cerebrium.scaling]
      min_replicas = 0
      """;

  @TempDir
  Path temp;

  @Test
  void a_deploy_through_one_node_and_a_removal_through_another_reach_every_node() throws Exception {
    try (TestFleet fleet = new TestFleet(temp.resolve("fleet"))) {
      TestNode a = fleet.start(0);
      TestNode b = fleet.start(1);

      HttpResponse<String> deployed = a.send(HttpRequest.newBuilder(URI.create(a.adminUrl() + "/v1/apps?project=team"))
          .header("Authorization", "Bearer " + adminToken(a))
          .POST(HttpRequest.BodyPublishers.ofByteArray(zip(CONFIG))).build());
      assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(202);

      await().atMost(Duration.ofSeconds(20)).until(() -> appNames(b).contains("team/shared"));
      JsonObject onB = b.adminJson("/v1/apps/team/shared");
      assertThat(onB.getLong("generation")).isEqualTo(a.adminJson("/v1/apps/team/shared").getLong("generation"));

      assertThat(b.admin("DELETE", "/v1/apps/team/shared", null).statusCode()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(20)).until(() -> !appNames(a).contains("team/shared"));
      assertThat(a.node().deployer().app(new AppId("team", "shared"))).isEmpty();
    }
  }

  @Test
  void the_fleet_keeps_its_apps_through_the_loss_of_a_node_and_a_restart_of_every_node() throws Exception {
    Path folder = TestNode.appFolder(temp, "shared", "cerebrium.toml", CONFIG);
    try (TestFleet fleet = new TestFleet(temp.resolve("fleet"))) {
      TestNode a = fleet.start(0);
      TestNode b = fleet.start(1);
      long version = a.deploy(folder).generation();
      await().atMost(Duration.ofSeconds(20)).until(() -> appNames(b).contains("local/shared"));

      fleet.stop(a);
      TestNode c = fleet.start(2);
      assertThat(appNames(c)).as("a node joining after the deploying node left").contains("local/shared");

      fleet.close();
      TestNode again = new TestFleet(temp.resolve("fleet")).start(2);
      try {
        assertThat(appNames(again)).containsExactly("local/shared");
        assertThat(again.node().deployer().app(new AppId("local", "shared")).orElseThrow().generation())
            .isEqualTo(version);
      } finally {
        again.close();
      }
    }
  }

  @Test
  void keys_and_secrets_made_through_one_node_hold_on_every_node() throws Exception {
    Path folder = TestNode.appFolder(temp, "shared", "cerebrium.toml", CONFIG);
    try (TestFleet fleet = new TestFleet(temp.resolve("fleet"))) {
      TestNode a = fleet.start(0);
      TestNode b = fleet.start(1);
      a.deployAndAwaitReady(folder, "team");
      String key = a.createKey("team");
      assertThat(a.admin("PUT", "/v1/projects/team/secrets/TOKEN", "s3cret").statusCode()).isEqualTo(200);

      await().atMost(Duration.ofSeconds(20)).until(() -> b.adminJson("/v1/projects/team/secrets").encode()
          .contains("TOKEN"));
      HttpResponse<String> throughB = b.send(HttpRequest.newBuilder(URI.create(b.publicUrl() + "/v4/team/shared/hello"))
          .header("Authorization", "Bearer " + key).build());
      assertThat(throughB.statusCode()).as(throughB.body()).isEqualTo(200);

      String id = b.adminJson("/v1/projects/team/api-keys").getJsonArray("keys").getJsonObject(0).getString("id");
      assertThat(b.admin("DELETE", "/v1/projects/team/api-keys/" + id, null).statusCode()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(20)).until(() -> a.send(HttpRequest.newBuilder(
          URI.create(a.publicUrl() + "/v4/team/shared/hello")).header("Authorization", "Bearer " + key).build())
          .statusCode() == 401);
    }
  }

  private static List<String> appNames(TestNode node) throws Exception {
    JsonArray apps = node.adminJson("/v1/apps").getJsonArray("apps");
    return apps.stream().map(app -> ((JsonObject) app).getString("project") + "/" + ((JsonObject) app).getString("name")).toList();
  }

  private static String adminToken(TestNode node) throws Exception {
    return Files.readString(node.stateDir().resolve("admin-token")).trim();
  }

  private static byte[] zip(String config) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream out = new ZipOutputStream(bytes)) {
      out.putNextEntry(new ZipEntry("cerebrium.toml"));
      out.write(config.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      out.putNextEntry(new ZipEntry("main.py"));
      out.write(Files.readAllBytes(TestNode.EXAMPLE_SERVER));
    }
    return bytes.toByteArray();
  }
}

package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.dataplane.apps.DeployedApp;
import io.sluice.dataplane.support.Configs;
import io.sluice.dataplane.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The archive route a cluster's pods fetch their app's files from, through a live node: a real replica's own token
 * (SLUICE_TOKEN, which the replica writes out as it starts) opens its own app's archive and no other.
 */
class AppArchiveEndToEndTest {

  @TempDir
  static Path temp;

  static TestNode node;
  static String config;
  static DeployedApp fetched;
  static String fetchedToken;
  static String otherToken;

  @BeforeAll
  static void startNode() throws Exception {
    node = TestNode.start(temp.resolve("state"));
    config = tokenWritingApp("fetched", temp.resolve("fetched.token"));
    fetched = node.deployAndAwaitReady(TestNode.appFolder(temp, "fetched", "cerebrium.toml", config), "p1");
    node.deployAndAwaitReady(TestNode.appFolder(temp, "other", "cerebrium.toml",
        tokenWritingApp("other", temp.resolve("other.token"))), "p1");
    fetchedToken = awaitToken(temp.resolve("fetched.token"));
    otherToken = awaitToken(temp.resolve("other.token"));
  }

  @AfterAll
  static void stopNode() throws Exception {
    node.close();
  }

  @Test
  void a_replica_token_fetches_its_apps_archive_for_the_deployed_version() throws Exception {
    HttpResponse<byte[]> archive = fetch("/v1/apps/p1/fetched/archive?version=" + fetched.generation(),
        "Bearer " + fetchedToken);

    assertThat(archive.statusCode()).isEqualTo(200);
    assertThat(archive.headers().firstValue("Content-Type")).hasValue("application/zip");
    Map<String, String> files = unzip(archive.body());
    assertThat(files).containsKeys("cerebrium.toml", "main.py");
    assertThat(files.get("cerebrium.toml")).isEqualTo(config);
  }

  @Test
  void the_admin_token_fetches_it_too() throws Exception {
    HttpResponse<byte[]> archive = fetch("/v1/apps/p1/fetched/archive?version=" + fetched.generation(),
        "Bearer " + node.adminToken());

    assertThat(archive.statusCode()).isEqualTo(200);
    assertThat(unzip(archive.body())).containsKey("cerebrium.toml");
  }

  @Test
  void a_wrong_token_another_apps_token_or_an_api_key_get_401() throws Exception {
    String path = "/v1/apps/p1/fetched/archive?version=" + fetched.generation();
    for (String authorization : new String[] {"Bearer nope", "Bearer " + otherToken, "Bearer " + node.apiKey(),
        "Bearer " + fetchedToken.substring(0, fetchedToken.length() - 2)}) {
      HttpResponse<byte[]> refused = fetch(path, authorization);

      assertThat(refused.statusCode()).as(authorization).isEqualTo(401);
      assertThat(json(refused).getJsonObject("error").getString("code")).isEqualTo("unauthorized");
    }
    assertThat(fetch(path, null).statusCode()).isEqualTo(401);
  }

  @Test
  void a_version_the_fleet_does_not_keep_is_404_naming_the_deployed_one() throws Exception {
    HttpResponse<byte[]> unknown = fetch("/v1/apps/p1/fetched/archive?version=" + (fetched.generation() + 1),
        "Bearer " + fetchedToken);

    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(json(unknown).getJsonObject("error").getString("message"))
        .isEqualTo("app p1/fetched has no version " + (fetched.generation() + 1) + "; its deployed version is "
            + fetched.generation());
    HttpResponse<byte[]> noApp = fetch("/v1/apps/p1/nope/archive?version=1", "Bearer " + node.adminToken());
    assertThat(noApp.statusCode()).isEqualTo(404);
    assertThat(json(noApp).getJsonObject("error").getString("message"))
        .isEqualTo("app p1/nope has no version 1; it is not deployed");
  }

  @Test
  void a_missing_or_malformed_version_is_400() throws Exception {
    for (String query : new String[] {"", "?version=", "?version=-1", "?version=latest"}) {
      HttpResponse<byte[]> bad = fetch("/v1/apps/p1/fetched/archive" + query, "Bearer " + fetchedToken);

      assertThat(bad.statusCode()).as(query).isEqualTo(400);
      assertThat(json(bad).getJsonObject("error").getString("message")).contains("?version=N");
    }
  }

  /** The example server, started by a shell that first writes the replica's own token where the test can read it. */
  private static String tokenWritingApp(String name, Path tokenFile) {
    return Configs.cerebrium(name, 1, 0, "").replace(
        "entrypoint = [\"python3\", \"main.py\", \"--host\", \"0.0.0.0\", \"--port\", \"5000\"]",
        "entrypoint = [\"sh\", \"-c\", 'printf %s \"$SLUICE_TOKEN\" > \"" + tokenFile
            + ".part\" && mv \"" + tokenFile + ".part\" \"" + tokenFile + "\" && exec python3 main.py --port 5000']");
  }

  private static String awaitToken(Path file) {
    await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(file) && Files.size(file) > 0);
    try {
      return Files.readString(file);
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static HttpResponse<byte[]> fetch(String path, String authorization) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.adminUrl() + path)).GET();
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return node.http().send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static JsonObject json(HttpResponse<byte[]> response) {
    return new JsonObject(new String(response.body(), StandardCharsets.UTF_8));
  }

  private static Map<String, String> unzip(byte[] zip) throws Exception {
    Map<String, String> files = new LinkedHashMap<>();
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
      for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
        files.put(entry.getName(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
    return files;
  }
}

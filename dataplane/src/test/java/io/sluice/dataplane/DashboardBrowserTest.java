package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.dataplane.support.Configs;
import io.sluice.dataplane.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard of a live node in a real browser: Debian's headless Chromium driven by Playwright ({@code
 * playwright-core} from npm, installed here into {@code target/} with {@code npm ci}). It signs in, sees the example
 * app appear once deployed, watches its live charts gain points as traffic comes, opens a request's detail and finds
 * a line the replica printed; a screenshot is kept in {@code target/dashboard.png}.
 */
class DashboardBrowserTest {

  static final Path SOURCES = Path.of("src", "test", "browser");
  static final Path INSTALLED = Path.of("target", "browser-test");
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");

  @TempDir
  Path temp;

  @BeforeAll
  static void installBrowserDriver() throws Exception {
    assertThat(CHROMIUM).as("Debian's chromium (`.ci/run` installs it: apt-get install chromium)").exists();
    Files.createDirectories(INSTALLED);
    for (String file : List.of("package.json", "package-lock.json", "dashboard.mjs")) {
      Files.copy(SOURCES.resolve(file), INSTALLED.resolve(file), StandardCopyOption.REPLACE_EXISTING);
    }
    if (!Files.isDirectory(INSTALLED.resolve("node_modules").resolve("playwright-core"))) {
      Process npm = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund").directory(INSTALLED.toFile())
          .redirectErrorStream(true).start();
      String out = new String(npm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(npm.waitFor(300, TimeUnit.SECONDS)).isTrue();
      assertThat(npm.exitValue()).as("npm ci: " + out).isZero();
    }
  }

  @Test
  void a_user_signs_in_sees_the_app_arrive_its_charts_move_a_request_and_a_log_line() throws Exception {
    try (TestNode node = TestNode.start(temp.resolve("state"))) {
      String marker = "dashboard-marker-" + UUID.randomUUID();
      Path screenshot = Path.of("target", "dashboard.png").toAbsolutePath();
      Process browser = new ProcessBuilder("node", "dashboard.mjs", node.adminUrl(), node.adminToken(), "local/hello",
          marker, screenshot.toString()).directory(INSTALLED.toFile()).redirectError(ProcessBuilder.Redirect.INHERIT)
          .start();
      CompletableFuture<String> seen = CompletableFuture.supplyAsync(() -> {
        try {
          return new String(browser.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      });

      node.deployAndAwaitReady(TestNode.appFolder(temp, "hello", "cerebrium.toml",
          Configs.cerebrium("hello", 1, 0, "")));
      // Traffic until the browser is done: predictions, and now and then a request whose path the replica logs.
      for (int i = 0; !seen.isDone() && i < 1200; i++) {
        node.send(node.request(i % 10 == 0 ? "/v4/local/hello/echo?m=" + marker : "/v4/local/hello/predict")
            .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")).build());
        try {
          seen.get(100, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException stillBrowsing) {
          // Paced by the browser: about ten requests a second while it looks.
        }
      }

      String output = seen.get(120, TimeUnit.SECONDS);
      assertThat(browser.waitFor(30, TimeUnit.SECONDS)).isTrue();
      JsonObject saw = new JsonObject(output.lines().reduce((first, second) -> second).orElse("{}"));
      assertThat(saw.getString("error")).as(output).isNull();
      assertThat(saw.getBoolean("signedIn")).isTrue();
      assertThat(saw.getBoolean("appListed")).isTrue();
      assertThat(saw.getInteger("chartPoints")).isGreaterThanOrEqualTo(3);
      assertThat(saw.getString("requestId")).matches("[0-9a-f-]{36}");
      assertThat(saw.getBoolean("detailShowsId")).isTrue();
      assertThat(saw.getBoolean("logLineShown")).isTrue();
      assertThat(saw.getJsonArray("consoleErrors")).isEmpty();
      assertThat(screenshot).exists();
    }
  }
}

package io.sluice.dataplane.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.config.AppId;
import io.sluice.dataplane.support.Configs;
import io.sluice.dataplane.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code bin/sluice} commands against a live node, as a user runs them. */
class CliTest {

  @TempDir
  static Path temp;

  static TestNode node;

  @BeforeAll
  static void startNode() throws Exception {
    node = TestNode.start(temp.resolve("state"));
  }

  @AfterAll
  static void stopNode() throws Exception {
    node.close();
  }

  record Run(int exitCode, String out, String err) {}

  static Run sluice(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = SluiceCommand.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    String[] withNode = new String[args.length + 4];
    System.arraycopy(args, 0, withNode, 0, args.length);
    withNode[args.length] = "--node";
    withNode[args.length + 1] = node.adminUrl();
    withNode[args.length + 2] = "--state";
    withNode[args.length + 3] = node.stateDir().toString();
    int code = cli.execute(withNode);
    return new Run(code, out.toString(), err.toString());
  }

  /** A new API key of the project, made with {@code sluice keys create}. */
  static String keyFor(String project) {
    Run created = sluice("keys", "create", project, "--name", "cli-test");
    assertThat(created.exitCode()).as(created.err()).isZero();
    return created.out().trim();
  }

  static HttpResponse<String> call(String key, String method, String path) throws Exception {
    return node.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(node.publicUrl() + path))
        .header("Authorization", "Bearer " + key)
        .method(method, java.net.http.HttpRequest.BodyPublishers.ofString("{}")).build());
  }

  @Test
  void keys_made_with_the_cli_open_their_project_until_revoked() throws Exception {
    Path dir = TestNode.appFolder(temp, "keyed", "cerebrium.toml", Configs.cerebrium("keyed", 1, 0, ""));
    assertThat(sluice("deploy", dir.toString(), "--project", "team-k").exitCode()).isZero();
    String key = keyFor("team-k");
    assertThat(key).startsWith("sk_");

    assertThat(call(key, "POST", "/v4/team-k/keyed/predict").statusCode()).isEqualTo(200);
    assertThat(call(key, "POST", "/v4/local/steady-none/predict").statusCode()).isEqualTo(404);
    Run listed = sluice("keys", "list", "team-k");
    String id = key.substring(3, 19);
    assertThat(listed.out()).contains(id).contains("cli-test").doesNotContain(key.substring(20));

    Run revoked = sluice("keys", "revoke", "team-k", id);

    assertThat(revoked.exitCode()).as(revoked.err()).isZero();
    assertThat(call(key, "POST", "/v4/team-k/keyed/predict").statusCode()).isEqualTo(401);
    assertThat(sluice("keys", "list", "team-k").out()).doesNotContain(id);
  }

  @Test
  void a_command_without_the_admin_token_is_refused_with_a_clear_message() {
    StringWriter err = new StringWriter();
    CommandLine cli = SluiceCommand.commandLine();
    cli.setOut(new PrintWriter(new StringWriter(), true));
    cli.setErr(new PrintWriter(err, true));

    int code = cli.execute("apps", "--node", node.adminUrl(), "--state", temp.resolve("elsewhere").toString());

    assertThat(code).isEqualTo(1);
    assertThat(err.toString()).contains("refused the admin token").contains("--state");
  }

  @Test
  void deploy_waits_until_the_app_is_ready_and_prints_its_url() throws Exception {
    Path dir = TestNode.appFolder(temp, "cli-hello", "cerebrium.toml", Configs.cerebrium("cli-hello", 1, 0.3, ""));

    Run run = sluice("deploy", dir.toString());

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).contains("Deploying local/cli-hello from cerebrium.toml")
        .contains("ready")
        .contains("Ready: curl " + node.node().publicBaseUrl() + "/v4/local/cli-hello/predict");
    assertThat(node.post("/v4/local/cli-hello/predict", "{}").statusCode()).isEqualTo(200);

    Run apps = sluice("apps");
    assertThat(apps.out()).containsPattern("local/cli-hello\\s+ready\\s+1/1");

    Run logs = sluice("logs", "cli-hello");
    assertThat(logs.exitCode()).isZero();
    assertThat(logs.out()).contains("listening on 0.0.0.0:").contains("POST /predict");
  }

  @Test
  void logs_follow_prints_a_line_as_the_replica_prints_it_until_stopped() throws Exception {
    Path dir = TestNode.appFolder(temp, "tailed", "cerebrium.toml", Configs.cerebrium("tailed", 1, 0, ""));
    assertThat(sluice("deploy", dir.toString()).exitCode()).isZero();
    StringWriter out = new StringWriter();
    CommandLine cli = SluiceCommand.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(new StringWriter(), true));
    LogsCommand logs = (LogsCommand) cli.getSubcommands().get("logs").getCommand();
    java.util.concurrent.CompletableFuture<Integer> exit = java.util.concurrent.CompletableFuture.supplyAsync(() ->
        cli.execute("logs", "tailed", "-f", "--node", node.adminUrl(), "--state", node.stateDir().toString()));
    // The tail comes first: once it is printed, the command follows.
    await().atMost(Duration.ofSeconds(10)).until(() -> out.toString().contains("listening on 0.0.0.0:"));

    assertThat(node.get("/v4/local/tailed/control/print?text=followed+by+the+cli").statusCode()).isEqualTo(200);

    await().atMost(Duration.ofSeconds(5)).until(() -> out.toString().contains(" stdout followed by the cli\n"));
    assertThat(out.toString()).containsPattern("\\[tailed-[a-z0-9]+\\] \\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z stdout "
        + "followed by the cli\n");
    logs.stop();
    assertThat(exit.get(10, java.util.concurrent.TimeUnit.SECONDS)).isZero();
  }

  @Test
  void requests_without_an_app_lists_those_refused_before_they_reached_one_filtered_by_status() throws Exception {
    HttpResponse<String> refused = node.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
        node.publicUrl() + "/v4/local/cli-nowhere/predict")).header("X-Request-Id", "cli-refused-401").GET().build());
    assertThat(refused.statusCode()).isEqualTo(401);

    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      Run listed = sluice("requests", "--refused", "--status", "401");
      assertThat(listed.exitCode()).as(listed.err()).isZero();
      assertThat(listed.out()).containsPattern("cli-refused-401\\s+GET\\s+401 .* /v4/local/cli-nowhere/predict\\s+"
          + "unauthorized\n");
    });
    assertThat(sluice("requests", "--status", "2xx").out()).doesNotContain("cli-refused-401");
  }

  @Test
  void deploy_takes_project_and_name_from_the_command_line() throws Exception {
    Path dir = TestNode.appFolder(temp, "renamed", "config.yaml", Configs.truss("whatever", ""));

    Run run = sluice("deploy", dir.toString(), "--project", "team-a", "--name", "chosen");

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(call(keyFor("team-a"), "POST", "/v4/team-a/chosen/predict").statusCode()).isEqualTo(200);
  }

  @Test
  void a_bad_config_is_refused_with_the_file_and_key_and_the_node_keeps_serving() throws Exception {
    Path good = TestNode.appFolder(temp, "steady", "cerebrium.toml", Configs.cerebrium("steady", 1, 0, ""));
    assertThat(sluice("deploy", good.toString()).exitCode()).isZero();
    Path bad = TestNode.appFolder(temp, "broken", "cerebrium.toml",
        Configs.cerebrium("broken", 1, 0, "").replace("port = 5000", "port = 70000"));

    Run run = sluice("deploy", bad.toString());

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains("Deploy refused").contains("cerebrium.toml").contains("port").contains("70000");
    assertThat(node.node().deployer().app(new AppId("local", "broken"))).isEmpty();
    assertThat(node.post("/v4/local/steady/predict", "{}").statusCode()).isEqualTo(200);
  }

  @Test
  void a_server_that_dies_at_start_fails_the_deploy_with_its_last_log_lines() throws Exception {
    Path dir = TestNode.appFolder(temp, "doomed", "cerebrium.toml", """
        [cerebrium.deployment]
        name = "doomed"

        [cerebrium.runtime.custom]
        port = 5000
        entrypoint = ["python3", "-c", "import sys; print('model weights not found'); sys.exit(3)"]
        """);

    Run run = sluice("deploy", dir.toString());

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains("Deploy of local/doomed failed").contains("exited with code 3")
        .contains("model weights not found");
    assertThat(node.get("/v4/local/doomed/predict").statusCode()).isEqualTo(503);
    // Later, the app's list says why too: the last lines the replica printed, not the node's notes about it.
    String apps = sluice("apps").out();
    assertThat(apps).containsPattern("local/doomed\\s+failed")
        .containsPattern("  \\| \\S+ stdout model weights not found\n")
        .doesNotContainPattern("  \\| \\S+ sluice ");
  }

  @Test
  void a_secret_set_through_the_cli_is_readable_by_the_replica_at_slash_secrets() throws Exception {
    Run set = sluice("secrets", "set", "vault", "hf_access_token", "--value", "hf_s3cr3t");
    assertThat(set.exitCode()).as(set.err()).isZero();
    Path dir = TestNode.appFolder(temp, "with-secret", "config.yaml",
        Configs.truss("with-secret", "secrets:\n  hf_access_token: null\n"));

    Run deploy = sluice("deploy", dir.toString(), "--project", "vault");

    assertThat(deploy.exitCode()).as(deploy.err()).isZero();
    HttpResponse<String> digest = call(keyFor("vault"), "GET",
        "/v4/vault/with-secret/sync/secret-digest?name=hf_access_token");
    JsonObject body = new JsonObject(digest.body());
    String expected = HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest("hf_s3cr3t".getBytes()));
    assertThat(body.getString("sha256")).isEqualTo(expected);
    assertThat(body.getString("dir")).isEqualTo(node.node().mountsSecrets()
        ? "/secrets" : node.stateDir().resolve("replicas/vault/with-secret").toString() + "/" + replicaOf("vault",
            "with-secret") + "/secrets");
    assertThat(sluice("secrets", "list", "vault").out()).contains("hf_access_token").doesNotContain("hf_s3cr3t");
    assertThat(node.admin("GET", "/v1/apps/vault/with-secret", null).body()).doesNotContain("hf_s3cr3t");
  }

  @Test
  void a_declared_secret_without_a_value_is_a_warning_not_a_failure() {
    Path dir;
    try {
      dir = TestNode.appFolder(temp, "unset-secret", "config.yaml",
          Configs.truss("unset-secret", "secrets:\n  missing_token: null\n"));
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }

    Run run = sluice("deploy", dir.toString());

    assertThat(run.exitCode()).isZero();
    assertThat(run.err()).contains("warning: secret missing_token has no value in project local");
  }

  @Test
  void help_lists_the_commands() {
    StringWriter out = new StringWriter();
    CommandLine cli = SluiceCommand.commandLine();
    cli.setOut(new PrintWriter(out, true));

    int code = cli.execute("--help");

    assertThat(code).isZero();
    Run run = new Run(code, out.toString(), "");

    assertThat(run.out()).contains("up", "deploy", "apps", "logs", "secrets");
  }

  private static String replicaOf(String project, String app) {
    return node.node().deployer().app(new AppId(project, app)).orElseThrow().replicas().get(0).id().name();
  }
}

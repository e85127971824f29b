package io.sluice.dataplane.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.AppId;
import io.sluice.dataplane.support.Configs;
import io.sluice.dataplane.support.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpResponse;
import java.nio.file.Path;
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
    String[] withNode = new String[args.length + 2];
    System.arraycopy(args, 0, withNode, 0, args.length);
    withNode[args.length] = "--node";
    withNode[args.length + 1] = node.adminUrl();
    int code = cli.execute(withNode);
    return new Run(code, out.toString(), err.toString());
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
  void deploy_takes_project_and_name_from_the_command_line() throws Exception {
    Path dir = TestNode.appFolder(temp, "renamed", "config.yaml", Configs.truss("whatever", ""));

    Run run = sluice("deploy", dir.toString(), "--project", "team-a", "--name", "chosen");

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(node.post("/v4/team-a/chosen/predict", "{}").statusCode()).isEqualTo(200);
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
  }

  @Test
  void a_secret_set_through_the_cli_is_readable_by_the_replica_at_slash_secrets() throws Exception {
    Run set = sluice("secrets", "set", "vault", "hf_access_token", "--value", "hf_s3cr3t");
    assertThat(set.exitCode()).as(set.err()).isZero();
    Path dir = TestNode.appFolder(temp, "with-secret", "config.yaml",
        Configs.truss("with-secret", "secrets:\n  hf_access_token: null\n"));

    Run deploy = sluice("deploy", dir.toString(), "--project", "vault");

    assertThat(deploy.exitCode()).as(deploy.err()).isZero();
    HttpResponse<String> digest = node.get("/v4/vault/with-secret/sync/secret-digest?name=hf_access_token");
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

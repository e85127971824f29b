package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding the config in an app folder, naming the app, and what is tolerated or refused across a whole file. */
class AppConfigReaderTest {

  private static final String CEREBRIUM = """
      [cerebrium.runtime.custom]
      port = 8080
      entrypoint = ["python", "server.py"]
      """;

  private static final String TRUSS = """
      docker_server:
        start_command: python server.py
        server_port: 8080
        predict_endpoint: /predict
      """;

  @TempDir
  Path tmp;

  @Test
  void app_is_named_after_its_folder_when_the_config_names_none() throws Exception {
    Path dir = folder("My_Model.v2", "config.yaml", TRUSS);

    LoadedApp app = AppConfigReader.read(dir);

    assertThat(app.spec().id()).isEqualTo(new AppId(AppId.DEFAULT_PROJECT, "my-model-v2"));
    assertThat(app.spec().format()).isEqualTo(ConfigFormat.TRUSS_YAML);
    assertThat(app.configFile()).isEqualTo(dir.resolve("config.yaml"));
  }

  @Test
  void name_in_the_config_wins_over_the_folder_name() throws Exception {
    Path dir = folder("whatever", "cerebrium.toml", CEREBRIUM + "[cerebrium.deployment]\nname = \"hello\"\n");

    assertThat(AppConfigReader.read(dir).spec().id()).isEqualTo(new AppId("local", "hello"));
  }

  @Test
  void folder_name_with_nothing_usable_is_refused_when_the_config_names_no_app() throws Exception {
    Path dir = folder("___", "cerebrium.toml", CEREBRIUM);

    assertThatThrownBy(() -> AppConfigReader.read(dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContainingAll(dir.resolve("cerebrium.toml").toString(), "[cerebrium.deployment] name: missing,",
            "folder name \"___\" is not a valid app name", AppId.NAME_RULE);
  }

  @Test
  void cerebrium_toml_is_used_when_both_files_are_present_and_a_notice_says_so() throws Exception {
    Path dir = folder("both", "cerebrium.toml", CEREBRIUM);
    Files.writeString(dir.resolve("config.yaml"), TRUSS);

    LoadedApp app = AppConfigReader.read(dir);

    assertThat(app.spec().format()).isEqualTo(ConfigFormat.CEREBRIUM_TOML);
    assertThat(app.notices())
        .containsExactly("config.yaml was not used: cerebrium.toml is read when a folder holds both");
  }

  @Test
  void folder_without_a_config_file_is_refused_naming_the_folder_and_the_expected_files() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("empty"));

    assertThatThrownBy(() -> AppConfigReader.read(dir))
        .isInstanceOf(ConfigException.class)
        .hasMessage(dir + ": no config file in this folder (expected: cerebrium.toml with [cerebrium.runtime.custom],"
            + " or a Truss config.yaml with docker_server)")
        .satisfies(e -> assertThat(((ConfigException) e).file()).isEqualTo(dir));
  }

  @Test
  void path_that_is_not_a_folder_is_refused() {
    Path missing = tmp.resolve("nowhere");

    assertThatThrownBy(() -> AppConfigReader.read(missing))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(missing + ": not a folder");
  }

  @Test
  void config_file_over_one_mebibyte_is_refused_before_parsing() throws Exception {
    Path dir = folder("big", "config.yaml", TRUSS + "# " + "x".repeat(ConfigText.MAX_BYTES) + "\n");

    assertThatThrownBy(() -> AppConfigReader.read(dir))
        .isInstanceOf(ConfigException.class)
        .hasMessage(dir.resolve("config.yaml") + ": is larger than 1 MiB; refused before parsing"
            + " (expected: a config file of at most 1 MiB = 1048576 bytes)");
  }

  @Test
  void config_file_that_is_not_utf8_is_refused() throws Exception {
    Path dir = Files.createDirectory(tmp.resolve("latin1"));
    Files.write(dir.resolve("cerebrium.toml"), (CEREBRIUM + "# caf\u00e9\n").getBytes(StandardCharsets.ISO_8859_1));

    assertThatThrownBy(() -> AppConfigReader.read(dir))
        .isInstanceOf(ConfigException.class)
        .hasMessageContainingAll("cerebrium.toml: is not UTF-8 text", "a UTF-8 text file");
  }

  @Test
  void byte_order_mark_at_the_start_of_a_file_is_skipped() throws Exception {
    Path dir = folder("bom", "cerebrium.toml", "\uFEFF" + CEREBRIUM);

    assertThat(AppConfigReader.read(dir).spec().runtime().port()).isEqualTo(8080);
  }

  @Test
  void unknown_cerebrium_keys_are_tolerated_and_listed_in_file_order() throws Exception {
    LoadedApp app = AppConfigReader.parseCerebrium("""
        top_level = 1

        [cerebrium.runtime.custom]
        port = 8080
        entrypoint = ["python", "server.py"]
        foo = "bar"

        [cerebrium.runtime.cortex]
        x = 1

        [cerebrium.scaling]
        evaluation_interval = 30

        [cerebrium.build]
        predict_data = "{}"

        [sluice]
        request_timeout = 10
        colour = "blue"
        """, Path.of("cerebrium.toml"), "app");

    assertThat(app.ignoredKeys()).containsExactly("top_level", "cerebrium.runtime.custom.foo",
        "cerebrium.runtime.cortex", "cerebrium.scaling.evaluation_interval", "cerebrium.build", "sluice.colour");
  }

  @Test
  void unknown_truss_keys_are_tolerated_and_listed_in_file_order() throws Exception {
    LoadedApp app = AppConfigReader.parseTruss(TRUSS + """
          run_as_user_id: 1000
        model_metadata:
          example_model_input: {"prompt": "hi"}
        resources:
          accelerator: L4
          node_count: 1
        runtime:
          predict_concurrency: 4
          transport:
            kind: websocket
            ping_interval_seconds: 30
        base_image:
          image: python:3.11-slim
          python_executable_path: /usr/bin/python3
        """, Path.of("config.yaml"), "app");

    assertThat(app.ignoredKeys()).containsExactly("docker_server.run_as_user_id", "model_metadata",
        "resources.node_count", "runtime.transport.ping_interval_seconds", "base_image.python_executable_path");
    assertThat(app.spec().scaling().replicaConcurrency()).isEqualTo(4);
    assertThat(app.spec().runtime().protocol()).isEqualTo(UpstreamProtocol.HTTP1);
  }

  @Test
  void every_problem_of_a_file_is_reported_at_once_one_per_line() {
    String text = """
        [cerebrium.runtime.custom]
        entrypoint = []
        readycheck_endpoint = "ready"

        [cerebrium.hardware]
        compute = "TPU"

        [cerebrium.scaling]
        min_replicas = 3
        max_replicas = 1
        """;

    assertThatThrownBy(() -> AppConfigReader.parseCerebrium(text, Path.of("apps/x/cerebrium.toml"), "x"))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> {
          ConfigException problem = (ConfigException) e;
          assertThat(problem.problems()).extracting(ConfigProblem::key).containsExactly(
              "[cerebrium.runtime.custom] port",
              "[cerebrium.runtime.custom] entrypoint",
              "[cerebrium.runtime.custom] readycheck_endpoint",
              "[cerebrium.hardware] compute",
              "[cerebrium.scaling] min_replicas");
          assertThat(problem.getMessage().lines())
              .hasSize(5)
              .allMatch(line -> line.startsWith(Path.of("apps/x/cerebrium.toml") + ": "));
        });
  }

  @Test
  void secret_values_never_appear_in_problems_or_notices() {
    String text = TRUSS + """
        secrets:
          hf_access_token: hunter2-value
          bad/name: other-secret-value
        """;

    assertThatThrownBy(() -> AppConfigReader.parseTruss(text, Path.of("config.yaml"), "app"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("secrets.bad/name: not a valid secret name")
        .hasMessageNotContaining("hunter2-value")
        .hasMessageNotContaining("other-secret-value");
    assertThatThrownBy(() -> AppConfigReader.parseTruss(TRUSS + "secrets: hunter2-value\n", Path.of("config.yaml"),
        "app"))
        .isInstanceOf(ConfigException.class)
        .hasMessage("config.yaml:5: secrets: not a map (expected: a map)");
  }

  @Test
  void config_file_named_in_messages_is_the_path_it_was_read_from() throws IOException {
    Path dir = folder("app", "cerebrium.toml", "[cerebrium.runtime.custom]\nport = 0\nentrypoint = \"x\"\n");

    assertThatThrownBy(() -> AppConfigReader.readCerebrium(dir.resolve("cerebrium.toml"), "app"))
        .isInstanceOf(ConfigException.class)
        .hasMessage(dir.resolve("cerebrium.toml") + ": [cerebrium.runtime.custom] port = 0: out of range"
            + " (expected: 1..65535)");
  }

  private Path folder(String name, String file, String text) throws IOException {
    Path dir = Files.createDirectories(tmp.resolve(name));
    Files.writeString(dir.resolve(file), text);
    return dir;
  }
}

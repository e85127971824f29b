package io.sluice.dataplane.replica.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.Command;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class LaunchCommandTest {

  record Case(String name, Command command, int configured, List<String> expected, boolean rewrote) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("seed uvicorn entrypoint: --port N",
            new Command.Exec(List.of("uvicorn", "main:app", "--host", "0.0.0.0", "--port", "5000")), 5000,
            List.of("uvicorn", "main:app", "--host", "0.0.0.0", "--port", "41000"), true),
        new Case("--port=N in one argument",
            new Command.Exec(List.of("server", "--port=5000")), 5000, List.of("server", "--port=41000"), true),
        new Case("gunicorn --bind host:N",
            new Command.Exec(List.of("gunicorn", "--bind", "0.0.0.0:8080", "app:app")), 8080,
            List.of("gunicorn", "--bind", "0.0.0.0:41000", "app:app"), true),
        new Case("-p N",
            new Command.Exec(List.of("server", "-p", "7000")), 7000, List.of("server", "-p", "41000"), true),
        new Case("seed vllm start_command in a shell",
            new Command.Shell("vllm serve meta-llama/Meta-Llama-3.1-8B-Instruct --port 8000 --max-model-len 1024"),
            8000,
            List.of("/bin/sh", "-c",
                "vllm serve meta-llama/Meta-Llama-3.1-8B-Instruct --port 41000 --max-model-len 1024"), true),
        new Case("seed sh -c with a secret, port inside the quoted command",
            new Command.Shell("sh -c \"HF_TOKEN=$(cat /secrets/hf_access_token) vllm serve m --port 8000\""), 8000,
            List.of("/bin/sh", "-c", "sh -c \"HF_TOKEN=$(cat /secrets/hf_access_token) vllm serve m --port 41000\""),
            true),
        new Case("PORT=N assignment",
            new Command.Shell("PORT=9000 node server.js"), 9000, List.of("/bin/sh", "-c", "PORT=41000 node server.js"),
            true),
        new Case("other numbers equal to the port are left alone",
            new Command.Shell("serve --max-model-len 8000 --port 8000"), 8000,
            List.of("/bin/sh", "-c", "serve --max-model-len 8000 --port 41000"), true),
        new Case("seed infinity start_command names no port",
            new Command.Shell("infinity_emb v2 --model-id BAAI/bge-small-en-v1.5"), 7997,
            List.of("/bin/sh", "-c", "infinity_emb v2 --model-id BAAI/bge-small-en-v1.5"), false),
        new Case("a longer number that starts with the port is not the port",
            new Command.Exec(List.of("server", "--port", "50001")), 5000, List.of("server", "--port", "50001"),
            false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void the_configured_port_is_rewritten_where_the_command_names_it(Case c) {
    LaunchCommand command = LaunchCommand.of(c.command(), c.configured(), 41000, false);

    assertThat(command.argv()).isEqualTo(c.expected());
    assertThat(command.rewrote()).isEqualTo(c.rewrote());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void with_a_secrets_mount_the_command_runs_in_a_private_mount_namespace(Case c) {
    LaunchCommand command = LaunchCommand.of(c.command(), c.configured(), 41000, true);

    assertThat(command.argv()).startsWith("unshare", "--mount", "--propagation", "private", "/bin/sh", "-c");
    assertThat(command.argv().get(6)).contains("mount --bind \"$SLUICE_SECRETS_DIR\" /secrets").endsWith(
        "exec \"$@\"");
    assertThat(command.argv().subList(8, command.argv().size())).isEqualTo(c.expected());
  }
}

package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The container a cluster runs an app in, as each format writes it: the image, Python and pip packages. */
class ContainerConfigTest {

  private static final String TOML_RUNTIME = """
      [cerebrium.runtime.custom]
      port = 8080
      entrypoint = ["uvicorn", "main:app", "--port", "8080"]
      """;

  private static final String YAML_SERVER = """
      docker_server:
        start_command: python server.py
        server_port: 8080
        predict_endpoint: /predict
      """;

  record Case(String name, ConfigFormat format, String text, ContainerSpec expected) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Case> cases() {
    return Stream.of(
        new Case("cerebrium without build keys leaves the image to the cluster's default", ConfigFormat.CEREBRIUM_TOML,
            TOML_RUNTIME, ContainerSpec.NONE),
        new Case("cerebrium docker_base_image_url and python_version", ConfigFormat.CEREBRIUM_TOML,
            TOML_RUNTIME + """
            [cerebrium.deployment]
            docker_base_image_url = "nvidia/cuda:12.1.1-runtime-ubuntu22.04"
            python_version = "3.11"
            """,
            new ContainerSpec(Optional.of("nvidia/cuda:12.1.1-runtime-ubuntu22.04"), List.of(), Optional.of("3.11"))),
        new Case("cerebrium pip entries become requirement lines in file order", ConfigFormat.CEREBRIUM_TOML,
            TOML_RUNTIME + """
            [cerebrium.dependencies.pip]
            torch = ">=2.0"
            numpy = "1.26.4"
            fastapi = "latest"
            uvicorn = ""
            "transformers[torch]" = "==4.40.0"
            pydantic = ">=2.0, <3"
            mylib = "git+https://github.com/example/mylib@v1"
            """,
            new ContainerSpec(Optional.empty(), List.of("torch>=2.0", "numpy==1.26.4", "fastapi", "uvicorn",
                "transformers[torch]==4.40.0", "pydantic>=2.0, <3", "mylib @ git+https://github.com/example/mylib@v1"),
                Optional.empty())),
        new Case("cerebrium blank image means the default", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME + """
            [cerebrium.deployment]
            docker_base_image_url = ""
            """, ContainerSpec.NONE),
        new Case("truss base_image.image is the image", ConfigFormat.TRUSS_YAML, YAML_SERVER + """
            base_image:
              image: registry.example.com:5000/team/server@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
            """, new ContainerSpec(Optional.of("registry.example.com:5000/team/server@sha256:"
            + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"), List.of(), Optional.empty())),
        new Case("truss without base_image has no image", ConfigFormat.TRUSS_YAML, YAML_SERVER, ContainerSpec.NONE),
        new Case("cerebrium observe_service makes the app observe-only", ConfigFormat.CEREBRIUM_TOML,
            TOML_RUNTIME + """
            [sluice]
            observe_service = "llama-svc"
            """, ContainerSpec.NONE.observing(Optional.of("llama-svc"))),
        new Case("truss observe_service makes the app observe-only", ConfigFormat.TRUSS_YAML, YAML_SERVER + """
            sluice:
              observe_service: llama-svc
            """, ContainerSpec.NONE.observing(Optional.of("llama-svc"))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void container_is_read_as_the_format_writes_it(Case row) throws ConfigException {
    LoadedApp app = ConfigCasesTest.parse(row.format(), row.text());

    assertThat(app.spec().container()).isEqualTo(row.expected());
    assertThat(app.ignoredKeys()).isEmpty();
  }

  record BadCase(String name, ConfigFormat format, String text, List<String> messageParts) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<BadCase> badCases() {
    return Stream.of(
        new BadCase("cerebrium image with a space", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME + """
            [cerebrium.deployment]
            docker_base_image_url = "debian bookworm"
            """, List.of("cerebrium.toml", "[cerebrium.deployment] docker_base_image_url = \"debian bookworm\"",
            "not a container image reference", "python:3.12-slim", "or no docker_base_image_url")),
        new BadCase("observe_service that is no Service name", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME + """
            [sluice]
            observe_service = "Llama_Svc"
            """, List.of("cerebrium.toml", "[sluice] observe_service = \"Llama_Svc\"", "not a Service name",
            "lowercase letters, digits and '-'")),
        new BadCase("cerebrium python 2", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME + """
            [cerebrium.deployment]
            python_version = "2.7"
            """, List.of("[cerebrium.deployment] python_version = \"2.7\": not a Python 3 version", "\"3.12\"")),
        new BadCase("pip name that would be a pip option", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME + """
            [cerebrium.dependencies.pip]
            "--index-url=https://evil.example" = "latest"
            """, List.of("[cerebrium.dependencies.pip] \"--index-url=https://evil.example\"", "not a pip package name",
            "as PyPI spells it")),
        new BadCase("pip spec that is no version", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME + """
            [cerebrium.dependencies.pip]
            torch = "newest please"
            """, List.of("[cerebrium.dependencies.pip] torch = \"newest please\"",
            "not a version spec pip understands", "\"latest\"", "\">=2.0\"")),
        new BadCase("pip spec as a number", ConfigFormat.CEREBRIUM_TOML, TOML_RUNTIME + """
            [cerebrium.dependencies.pip]
            numpy = 1.26
            """, List.of("[cerebrium.dependencies.pip] numpy = 1.26: not a string", "\"1.26.4\"")),
        new BadCase("truss image with an empty tag", ConfigFormat.TRUSS_YAML, YAML_SERVER + """
            base_image:
              image: "vllm/vllm-openai:"
            """, List.of("config.yaml", "base_image.image = \"vllm/vllm-openai:\"", "not a container image reference",
            "the image in which start_command runs")),
        new BadCase("truss image in upper case", ConfigFormat.TRUSS_YAML, YAML_SERVER + """
            base_image:
              image: Python:3.11
            """, List.of("base_image.image = \"Python:3.11\"", "not a container image reference")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badCases")
  void a_wrong_image_python_or_pip_entry_is_refused_naming_file_key_and_fix(BadCase row) {
    assertThatThrownBy(() -> ConfigCasesTest.parse(row.format(), row.text()))
        .isInstanceOf(ConfigException.class)
        .hasMessageContainingAll(row.messageParts().toArray(String[]::new));
  }

  @ParameterizedTest
  @ValueSource(strings = {"python:3.12-slim-bookworm", "debian:bookworm-slim", "vllm/vllm-openai:latest",
      "nvcr.io/nvidia/pytorch:24.05-py3", "localhost:5000/app", "ghcr.io/org/app:1.2.3@sha256:"
      + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "busybox"})
  void image_references_docker_accepts_are_valid(String reference) {
    assertThat(ImageReference.valid(reference)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "debian bookworm", "Upper:tag", "app:", ":tag", "app:tag:again", "-app",
      "app@sha256:short", "a//b", "app:ttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttttt", "app\n"})
  void image_references_docker_refuses_are_not(String reference) {
    assertThat(ImageReference.valid(reference)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"torch", "torch>=2.0", "numpy==1.26.4", "transformers[torch,sentencepiece]~=4.40",
      "pydantic>=2.0, <3", "mylib @ git+https://github.com/example/mylib@v1"})
  void requirement_lines_are_valid(String line) {
    assertThat(PipRequirement.valid(line)).isTrue();
    assertThat(new ContainerSpec(Optional.empty(), List.of(line), Optional.empty()).pipRequirements())
        .containsExactly(line);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "-r requirements.txt", "--index-url=https://evil.example", "torch; rm -rf /",
      "torch >= ", "torch @ file:///etc/passwd"})
  void requirement_lines_pip_would_read_as_something_else_are_refused(String line) {
    assertThat(PipRequirement.valid(line)).isFalse();
    assertThatThrownBy(() -> new ContainerSpec(Optional.empty(), List.of(line), Optional.empty()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("pipRequirements: ");
  }
}

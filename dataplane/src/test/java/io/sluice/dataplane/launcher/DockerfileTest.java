package io.sluice.dataplane.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import picocli.CommandLine.ParseResult;

/**
 * What can be checked of the node's image without a container engine (none where the tests run): that the build
 * stage is given every module the reactor builds, that the image takes the jar that build makes, that it runs as a
 * non-root user, and that its command is one {@code sluice} understands. Whether the image builds and starts is
 * checked only by building it (README, "Run on Kubernetes").
 */
class DockerfileTest {

  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  /** One instruction of the Dockerfile, continuation lines joined, in the stage it belongs to. */
  record Instruction(String stage, String keyword, String arguments) {}

  static List<Instruction> instructions() throws IOException {
    List<Instruction> instructions = new ArrayList<>();
    String stage = null;
    StringBuilder pending = new StringBuilder();
    for (String line : Files.readAllLines(ROOT.resolve("Dockerfile"))) {
      if (line.isBlank() || line.stripLeading().startsWith("#")) {
        continue;
      }
      if (line.endsWith("\\")) {
        pending.append(line, 0, line.length() - 1).append(' ');
        continue;
      }
      String whole = (pending + line).strip();
      pending.setLength(0);
      String[] parts = whole.split("\\s+", 2);
      String keyword = parts[0].toUpperCase();
      String arguments = parts.length > 1 ? parts[1] : "";
      if (keyword.equals("FROM")) {
        String[] from = arguments.split("\\s+");
        stage = from.length == 3 && from[1].equalsIgnoreCase("AS") ? from[2] : "final";
      }
      instructions.add(new Instruction(stage, keyword, arguments));
    }
    return instructions;
  }

  static List<Instruction> of(String stage, String keyword) throws IOException {
    return instructions().stream().filter(i -> i.stage().equals(stage) && i.keyword().equals(keyword)).toList();
  }

  static List<String> copySources(String stage) throws IOException {
    List<String> sources = new ArrayList<>();
    for (Instruction copy : of(stage, "COPY")) {
      if (copy.arguments().startsWith("--from=")) {
        continue;
      }
      List<String> parts = Arrays.asList(copy.arguments().split("\\s+"));
      sources.addAll(parts.subList(0, parts.size() - 1));
    }
    return sources;
  }

  static Element pom(Path file) throws Exception {
    Document document = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(file.toFile());
    return document.getDocumentElement();
  }

  static String[] execForm(Instruction instruction) throws IOException {
    return new ObjectMapper().readValue(instruction.arguments(), String[].class);
  }

  @Test
  void the_build_stage_is_given_every_module_the_reactor_builds_and_each_path_it_copies_exists() throws Exception {
    NodeList modules = pom(ROOT.resolve("pom.xml")).getElementsByTagName("module");
    List<String> sources = copySources("build");

    assertThat(modules.getLength()).isPositive();
    for (int i = 0; i < modules.getLength(); i++) {
      String module = modules.item(i).getTextContent().trim();
      assertThat(sources).as("module %s", module).contains(module + "/pom.xml", module + "/src");
    }
    assertThat(sources).contains("pom.xml").allSatisfy(source -> assertThat(ROOT.resolve(source)).exists());
    assertThat(of("build", "RUN")).extracting(Instruction::arguments)
        .anySatisfy(run -> assertThat(run).contains("mvn ").contains(" package"));
  }

  @Test
  void the_image_takes_the_jar_that_the_dataplane_build_makes() throws Exception {
    String workdir = of("build", "WORKDIR").get(0).arguments();
    NodeList finalNames = pom(ROOT.resolve("dataplane/pom.xml")).getElementsByTagName("finalName");
    assertThat(finalNames.getLength()).as("the shaded jar's finalName in dataplane/pom.xml").isEqualTo(1);
    String jar = workdir + "/dataplane/target/" + finalNames.item(0).getTextContent().trim() + ".jar";

    List<Instruction> fromBuild = of("final", "COPY").stream()
        .filter(copy -> copy.arguments().startsWith("--from=build ")).toList();

    assertThat(fromBuild).hasSize(1);
    String[] copy = fromBuild.get(0).arguments().split("\\s+");
    assertThat(copy[1]).isEqualTo(jar);
    List<String> entrypoint = List.of(execForm(of("final", "ENTRYPOINT").get(0)));
    assertThat(entrypoint).startsWith("java").contains("-jar");
    assertThat(entrypoint.get(entrypoint.indexOf("-jar") + 1)).isEqualTo(copy[2]);
    assertThat(Files.readString(ROOT.resolve("bin/sluice"))).as("the jar bin/sluice runs")
        .contains("dataplane/target/" + finalNames.item(0).getTextContent().trim() + ".jar");
  }

  @Test
  void the_image_runs_the_jvm_with_the_options_file_that_bin_sluice_uses() throws Exception {
    String options = "bin/jvm.options";
    assertThat(Files.readString(ROOT.resolve("bin/sluice"))).contains("java @\"$ROOT/" + options + "\"");

    String[] copy = of("final", "COPY").stream().map(Instruction::arguments)
        .filter(arguments -> arguments.startsWith(options + " ")).findFirst()
        .orElseThrow(() -> new AssertionError("the final stage copies " + options)).split("\\s+");
    List<String> entrypoint = List.of(execForm(of("final", "ENTRYPOINT").get(0)));
    assertThat(entrypoint).contains("@" + copy[1]);
    assertThat(entrypoint.indexOf("@" + copy[1])).as("before -jar, so that it is read as JVM options")
        .isLessThan(entrypoint.indexOf("-jar"));
  }

  @Test
  void the_image_runs_as_the_non_root_user_the_deployment_asks_for() throws Exception {
    List<Instruction> users = of("final", "USER");
    assertThat(users).isNotEmpty();
    String user = users.get(users.size() - 1).arguments().split(":")[0];

    // Numeric, so that the kubelet can check runAsNonRoot without reading the image's /etc/passwd.
    assertThat(user).matches("[1-9][0-9]*");
    long runAsUser = new ObjectMapper(new YAMLFactory()).readTree(KubernetesDeploymentTest.DEPLOYMENT.toFile())
        .at("/spec/template/spec/securityContext/runAsUser").asLong();
    assertThat(Long.parseLong(user)).isEqualTo(runAsUser);
  }

  @Test
  void the_images_default_command_is_a_sluice_up_command_line() throws Exception {
    String[] command = execForm(of("final", "CMD").get(0));

    ParseResult parsed = SluiceCommand.commandLine().parseArgs(command);

    assertThat(parsed.subcommand().commandSpec().name()).isEqualTo("up");
    UpCommand up = (UpCommand) parsed.subcommand().commandSpec().userObject();
    assertThat(up.adminHost).as("reachable from outside the container").isEqualTo("0.0.0.0");
    assertThat(of("final", "WORKDIR").get(0).arguments()).isEqualTo(up.state.toString());
  }

  @Test
  void local_build_output_and_state_stay_out_of_the_build_context() throws IOException {
    assertThat(Files.readAllLines(ROOT.resolve(".dockerignore"))).contains("**/target", ".sluice", ".git");
  }
}

package io.sluice.dataplane.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/jvm.options}, the argument file every node's JVM starts with (bin/sluice, the image, the benchmarks), read
 * by a JVM the way those launch it: the JIT compiler threads end up at nice 10, below the event loops' 0 but not at
 * the lowest priority, 19, where a loop spinning on code a compiler was replacing kept it off the core for 170 ms.
 */
class JvmOptionsTest {

  static final Path OPTIONS = DockerfileTest.ROOT.resolve("bin/jvm.options");

  /** Run in a JVM started with the options file: prints the nice value of each of its JIT compiler threads. */
  public static final class CompilerThreadNiceness {
    public static void main(String[] args) throws IOException {
      try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
        for (Path task : tasks.toList()) {
          String name = Files.readString(task.resolve("comm")).strip();
          if (name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre")) {
            String stat = Files.readString(task.resolve("stat"));
            // The 19th field; the 2nd, the name in parentheses, holds spaces, so count from after it.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            System.out.println(name.substring(0, 2) + " " + fields[16]);
          }
        }
      }
    }
  }

  @Test
  void a_jvm_started_with_the_options_file_runs_its_jit_compilers_at_nice_10() throws Exception {
    assumeThat(Path.of("/proc/self/task")).as("Linux's per-thread /proc").isDirectory();
    List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
        "@" + OPTIONS, "-cp", System.getProperty("java.class.path"), CompilerThreadNiceness.class.getName()));
    Process jvm = new ProcessBuilder(command).redirectErrorStream(false).start();
    assertThat(jvm.waitFor(60, TimeUnit.SECONDS)).as("the JVM exits").isTrue();
    String out = new String(jvm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(jvm.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);

    assertThat(jvm.exitValue()).as("exit code; stderr: %s", err).isZero();
    assertThat(out.lines().toList()).as("compiler threads and their nice values")
        .contains("C1 10", "C2 10").allSatisfy(line -> assertThat(line).endsWith(" 10"));
  }
}

package io.sluice.dataplane.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code sluice simulate} as a user runs it, on the real Azure LLM conversation trace beside the checkout. */
class SimulateCommandTest {

  /** From {@code dataplane/}, the module's folder, where the tests run. */
  private static final Path CONV = Path.of("../../shared/traces/AzureLLMInferenceTrace_conv.csv");

  record Run(int exitCode, String out, String err) {}

  static Run sluice(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = SluiceCommand.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void simulate_prints_both_policies_side_by_side_with_the_attribution_and_writes_the_timeline(@TempDir Path temp)
      throws Exception {
    assumeTrue(Files.isRegularFile(CONV), "no " + CONV.toAbsolutePath().normalize()
        + ": the shared Azure LLM traces are not beside this checkout");
    Path out = temp.resolve("out");

    Run run = sluice("simulate", "--trace", CONV.toString(), "--policies", "knative,sluice", "--out", out.toString());

    assertThat(run.exitCode()).as(run.err()).isZero();
    String header = run.out().lines().filter(line -> line.contains("sluice/knative")).findFirst().orElseThrow();
    assertThat(header.split("\\s+")).containsSubsequence("knative", "sluice", "sluice/knative");
    assertThat(run.out())
        .contains("19,366 requests")
        .contains("Azure LLM inference trace 2023")
        .contains("Splitwise")
        .contains("CC BY 4.0")
        .contains("Service time = ")
        .contains("source: DistServe")
        .contains("Replay: as recorded");
    assertThat(run.out().lines()).anyMatch(line -> line.startsWith("waited for a cold start"))
        .anyMatch(line -> line.startsWith("wait p99 (s)"))
        .anyMatch(line -> line.startsWith("GPU-seconds (replicas)"))
        .anyMatch(line -> line.startsWith("peak replicas"));
    Path csv = out.resolve("timeline.csv");
    Path svg = out.resolve("replicas.svg");
    assertThat(csv).isRegularFile();
    assertThat(Files.size(csv)).isPositive();
    assertThat(Files.readString(csv)).contains("time_seconds,policy,app,desired,ready,pending,queue,in_flight")
        .contains("CC BY 4.0");
    assertThat(svg).isRegularFile();
    assertThat(Files.readString(svg)).startsWith("<svg").contains("CC BY 4.0");
  }

  @Test
  void a_scaled_replay_says_so(@TempDir Path temp) {
    assumeTrue(Files.isRegularFile(CONV), "no " + CONV.toAbsolutePath().normalize()
        + ": the shared Azure LLM traces are not beside this checkout");

    Run run = sluice("simulate", "--trace", CONV.toString(), "--policies", "sluice", "--speedup", "4",
        "--split-apps", "2", "--split", "offset", "--out", temp.toString());

    assertThat(run.exitCode()).as(run.err()).isZero();
    assertThat(run.out()).contains("scaled replay: time compressed x4").contains("shifted replay: 2 apps");
  }

  @Test
  void a_missing_trace_is_a_clear_error(@TempDir Path temp) {
    Run run = sluice("simulate", "--trace", temp.resolve("nope.csv").toString());

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains("nope.csv: no such file");
  }

  @Test
  void an_unknown_policy_is_a_clear_error(@TempDir Path temp) throws Exception {
    Path trace = temp.resolve("t.csv");
    Files.writeString(trace, "arrival_seconds,app,service_seconds\n1,a,1\n");

    Run run = sluice("simulate", "--trace", trace.toString(), "--policies", "knative,hpa", "--out", temp.toString());

    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.err()).contains("--policies: policy: hpa (expected: one of knative, sluice, max, min)");
  }
}

package io.sluice.autoscaler.simulate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The real Azure LLM conversation trace (CC BY 4.0; see shared/traces/README.md), read from beside the checkout and
 * replayed. Skipped where the traces are not there.
 */
class SimulationRealTraceTest {

  /** From {@code autoscaler/}, the module's folder, where the tests run. */
  private static final Path CONV = Path.of("../../shared/traces/AzureLLMInferenceTrace_conv.csv");

  @Test
  void the_conversation_trace_reads_every_row_and_replays_to_the_end() throws Exception {
    assumeTrue(Files.isRegularFile(CONV), "no " + CONV.toAbsolutePath().normalize()
        + ": the shared Azure LLM traces are not beside this checkout");

    Trace trace = TraceReaders.read(CONV, TraceOptions.defaults());

    // The file has 19,366 data rows after its header (shared/traces/README.md rounds it to 19,365).
    assertThat(trace.size()).isEqualTo(19_366);
    assertThat(trace.start()).isEqualTo(Instant.parse("2023-11-16T18:15:46Z"));
    assertThat(trace.span().toMinutes()).isEqualTo(58);
    assertThat(trace.attribution()).hasValueSatisfying(text -> assertThat(text).contains("CC BY 4.0"));

    SimulationSetup setup = SimulationSetup.of(DefaultSetup.app(), DefaultSetup.APP_SOURCE, DefaultSetup.STARTUP,
        DefaultSetup.poolsFor(DefaultSetup.app()), "default");
    for (SimulatedPolicy policy : List.of(SimulatedPolicy.KNATIVE, SimulatedPolicy.SLUICE)) {
      SimulationResult result = Simulator.run(trace, setup, policy);

      assertThat(result.served()).as(policy.cliName()).isEqualTo(trace.size());
      assertThat(result.maxInFlightPerReplica()).as(policy.cliName()).isLessThanOrEqualTo(8);
      assertThat(result.peakReplicas()).as(policy.cliName()).isBetween(1, 8);
      assertThat(result.endSeconds()).as(policy.cliName()).isGreaterThan(trace.span().toSeconds());
    }
  }
}

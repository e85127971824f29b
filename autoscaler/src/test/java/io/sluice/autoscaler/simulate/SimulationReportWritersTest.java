package io.sluice.autoscaler.simulate;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The table, the timeline CSV and the chart, from a replay of the Azure LLM format fixture. */
class SimulationReportWritersTest {

  static Trace trace;
  static SimulationSetup setup;
  static List<SimulationResult> results;

  @BeforeAll
  static void replay() throws Exception {
    trace = TraceReaders.read(SimulationTraceReadersTest.fixture("azure-llm-format.csv"),
        TraceOptions.defaults().withSpeedup(2));
    setup = SimulationSetup.of(DefaultSetup.app(), DefaultSetup.APP_SOURCE, DefaultSetup.STARTUP,
        DefaultSetup.poolsFor(DefaultSetup.app()), DefaultSetup.poolsSource(DefaultSetup.poolsFor(DefaultSetup.app())));
    results = List.of(Simulator.run(trace, setup, SimulatedPolicy.KNATIVE),
        Simulator.run(trace, setup, SimulatedPolicy.SLUICE), Simulator.run(trace, setup, SimulatedPolicy.MAX));
  }

  @Test
  void the_table_puts_the_policies_side_by_side_with_what_was_replayed() {
    String report = SimulationReport.render(trace, setup, results);

    assertThat(report)
        .contains("CC BY 4.0")
        .contains("Service time = 23.63 ms + 0.1505 ms x ContextTokens + 24.02 ms x GeneratedTokens")
        .contains("source: DistServe")
        .contains("scaled replay: time compressed x2")
        .contains("the file says: FORMAT FIXTURE, NOT DATA")
        .contains("measured on A100_80GB");
    String header = report.lines().filter(line -> line.contains("sluice/knative")).findFirst().orElseThrow();
    assertThat(header.split("\\s+")).containsSubsequence("knative", "sluice", "sluice/knative", "max");
    assertThat(report.lines()).anyMatch(line -> line.startsWith("requests") && line.contains("4"))
        .anyMatch(line -> line.startsWith("waited for a cold start"))
        .anyMatch(line -> line.startsWith("wait p50 (s)"))
        .anyMatch(line -> line.startsWith("wait p99 (s)"))
        .anyMatch(line -> line.startsWith("GPU-seconds (replicas)"))
        .anyMatch(line -> line.startsWith("peak replicas"));
  }

  @Test
  void the_timeline_csv_has_a_row_per_tick_per_policy_and_keeps_the_attribution(@TempDir Path temp) throws Exception {
    Path csv = temp.resolve("out/timeline.csv");

    TimelineCsv.write(csv, trace, results);

    List<String> lines = Files.readAllLines(csv);
    assertThat(lines).anyMatch(line -> line.startsWith("# Data: Azure LLM inference trace 2023"))
        .anyMatch(line -> line.startsWith("# scaled replay"));
    int header = lines.indexOf(TimelineCsv.HEADER);
    assertThat(header).isGreaterThan(0);
    int rows = results.stream().mapToInt(result -> result.timeline().size()).sum();
    assertThat(lines).hasSize(header + 1 + rows);
    assertThat(lines.get(header + 1)).isEqualTo("0,knative,vllm-llm,1,0,1,0,0");
  }

  @Test
  void the_chart_is_an_svg_with_a_line_per_policy_and_the_attribution(@TempDir Path temp) throws Exception {
    Path svg = temp.resolve("replicas.svg");

    ReplicaChartSvg.write(svg, trace, results);

    String text = Files.readString(svg);
    assertThat(text).startsWith("<svg").endsWith("</svg>\n").contains("CC BY 4.0").contains(">knative<")
        .contains(">sluice<").contains(">max<").contains("stroke=\"#1f77b4\"");
    assertThat(ReplicaChartSvg.escape("a<b & \"c\">")).isEqualTo("a&lt;b &amp; &quot;c&quot;&gt;");
  }
}

package io.sluice.autoscaler.simulate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The trace readers on small fixtures in each format; the fixtures say in a comment that they are not data. */
class SimulationTraceReadersTest {

  private static final long SECOND = 1_000_000_000L;

  @TempDir
  Path temp;

  record Header(String line, Optional<TraceFormat> format) {
    @Override
    public String toString() {
      return line.length() > 40 ? line.substring(0, 40) + "..." : line;
    }
  }

  static Stream<Header> headers() {
    return Stream.of(
        new Header("arrival_seconds,app,service_seconds", Optional.of(TraceFormat.CSV)),
        new Header("app, service_seconds, arrival_seconds, note", Optional.of(TraceFormat.CSV)),
        new Header("TIMESTAMP,ContextTokens,GeneratedTokens", Optional.of(TraceFormat.AZURE_LLM)),
        new Header("HashOwner,HashApp,HashFunction,Trigger,1,2,3", Optional.of(TraceFormat.AZURE_FUNCTIONS)),
        new Header("time,app,duration", Optional.empty()),
        new Header("TIMESTAMP,ContextTokens", Optional.empty()));
  }

  @ParameterizedTest
  @MethodSource("headers")
  void the_format_is_recognised_by_its_header(Header header) {
    assertThat(TraceFormat.detect(header.line())).isEqualTo(header.format());
  }

  @Test
  void a_csv_trace_is_sorted_by_arrival_keeping_file_order_on_ties() throws Exception {
    Trace trace = TraceReaders.read(fixture("requests.csv"), TraceOptions.defaults());

    assertThat(trace.format()).isEqualTo(TraceFormat.CSV);
    assertThat(trace.size()).isEqualTo(5);
    assertThat(trace.appLabels()).containsExactly("chat", "embed");
    assertThat(trace.start()).isEqualTo(Instant.EPOCH);
    assertThat(arrivals(trace)).containsExactly(SECOND / 2, 1_250_000_000L, 1_250_000_000L, 2 * SECOND, 3 * SECOND);
    assertThat(trace.app(1)).isEqualTo(0);
    assertThat(trace.app(2)).isEqualTo(1);
    assertThat(trace.serviceNanos(0)).isEqualTo(2 * SECOND);
    assertThat(trace.serviceNanos(3)).isEqualTo(SECOND / 5);
    assertThat(trace.attribution()).isEmpty();
    assertThat(trace.notes()).anyMatch(note -> note.contains("handmade requests, not data"));
  }

  @Test
  void an_azure_llm_trace_gets_service_times_from_its_tokens_and_keeps_its_attribution() throws Exception {
    ServiceTimeModel model = ServiceTimeModel.distServeOpt13bA100();

    Trace trace = TraceReaders.read(fixture("azure-llm-format.csv"), TraceOptions.defaults());

    assertThat(trace.format()).isEqualTo(TraceFormat.AZURE_LLM);
    assertThat(trace.size()).isEqualTo(4);
    assertThat(trace.start()).isEqualTo(Instant.parse("2023-11-16T18:15:46Z"));
    assertThat(arrivals(trace)).containsExactly(680_590_000L, 4_995_169_000L, 5_222_467_000L, 6 * SECOND);
    assertThat(trace.serviceNanos(0)).isEqualTo(model.serviceNanos(374, 44));
    assertThat(trace.serviceNanos(3)).isEqualTo(model.serviceNanos(0, 1));
    assertThat(trace.serviceModel()).contains(model);
    assertThat(trace.attribution()).hasValueSatisfying(text -> assertThat(text)
        .contains("Azure LLM inference trace 2023", "Splitwise", "ISCA 2024", "CC BY 4.0"));
    assertThat(trace.notes()).anyMatch(note -> note.contains("FORMAT FIXTURE, NOT DATA"));
  }

  @Test
  void the_default_service_model_is_the_published_profile_evaluated_as_stated() {
    ServiceTimeModel model = ServiceTimeModel.distServeOpt13bA100();

    // 23.627 ms + 0.15055 ms x 1000 + 24.015 ms x 100 = 2575.7 ms
    assertThat(model.serviceNanos(1000, 100) / 1e6).isCloseTo(2575.69, org.assertj.core.data.Offset.offset(0.01));
    assertThat(model.formula()).isEqualTo("23.63 ms + 0.1505 ms x ContextTokens + 24.02 ms x GeneratedTokens");
    assertThat(model.source()).contains("DistServe", "OSDI 2024", "profiler-a100-80g.vllm.json", "OPT-13B");
  }

  @Test
  void a_time_compressed_replay_says_so() throws Exception {
    Trace recorded = TraceReaders.read(fixture("azure-llm-format.csv"), TraceOptions.defaults());

    Trace trace = TraceReaders.read(fixture("azure-llm-format.csv"), TraceOptions.defaults().withSpeedup(2));

    assertThat(trace.size()).isEqualTo(recorded.size());
    for (int i = 0; i < trace.size(); i++) {
      assertThat(trace.arrivalNanos(i)).isEqualTo(Math.round(recorded.arrivalNanos(i) / 2.0));
      assertThat(trace.serviceNanos(i)).isEqualTo(recorded.serviceNanos(i));
    }
    assertThat(trace.start()).isEqualTo(recorded.start());
    assertThat(trace.notes()).anyMatch(note -> note.startsWith("scaled replay: time compressed x2"));
  }

  @Test
  void a_round_robin_split_shares_the_requests_out_and_says_so() throws Exception {
    Trace trace = TraceReaders.read(fixture("azure-llm-format.csv"),
        TraceOptions.defaults().withApps(2, TraceOptions.Split.ROUND_ROBIN));

    assertThat(trace.size()).isEqualTo(4);
    assertThat(trace.appLabels()).containsExactly("llm-1", "llm-2");
    assertThat(List.of(trace.app(0), trace.app(1), trace.app(2), trace.app(3))).containsExactly(0, 1, 0, 1);
    assertThat(trace.notes()).anyMatch(note -> note.startsWith("split replay: the trace shared out round-robin"));
  }

  @Test
  void an_offset_split_gives_every_app_the_whole_trace_shifted_and_says_so() throws Exception {
    Trace recorded = TraceReaders.read(fixture("azure-llm-format.csv"), TraceOptions.defaults());

    Trace trace = TraceReaders.read(fixture("azure-llm-format.csv"),
        TraceOptions.defaults().withApps(2, TraceOptions.Split.OFFSET));

    assertThat(trace.size()).isEqualTo(2 * recorded.size());
    assertThat(trace.appLabels()).containsExactly("llm-1", "llm-2");
    assertThat(trace.notes()).anyMatch(note -> note.startsWith("shifted replay: 2 apps, each the whole trace"));
    List<Long> second = new ArrayList<>();
    for (int i = 0; i < trace.size(); i++) {
      if (trace.app(i) == 1) {
        second.add(trace.start().getEpochSecond() * SECOND + trace.arrivalNanos(i));
      }
    }
    long span = recorded.arrivalNanos(recorded.size() - 1);
    long base = recorded.start().getEpochSecond() * SECOND;
    List<Long> expected = new ArrayList<>();
    for (int i = 0; i < recorded.size(); i++) {
      long at = recorded.arrivalNanos(i) + span / 2;
      expected.add(base + (at >= span ? at - span : at));
    }
    assertThat(second).containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  void functions_counts_are_spread_within_their_minute_with_durations_per_function() throws Exception {
    TraceOptions options = TraceOptions.defaults().withSeed(7)
        .withDurations(fixture("azure-functions-durations-format.csv"));

    Trace trace = TraceReaders.read(fixture("azure-functions-format.csv"), options);

    assertThat(trace.format()).isEqualTo(TraceFormat.AZURE_FUNCTIONS);
    assertThat(trace.size()).isEqualTo(11);
    assertThat(trace.appLabels()).containsExactlyInAnyOrder("appa", "appb");
    int[] perMinute = new int[1441];
    for (int i = 0; i < trace.size(); i++) {
      long atNanos = trace.start().getEpochSecond() * SECOND + trace.arrivalNanos(i);
      int minute = (int) (atNanos / (60 * SECOND)) + 1;
      perMinute[minute]++;
      long service = trace.serviceNanos(i);
      switch (minute) {
        case 1 -> assertThat(service).isEqualTo(SECOND / 4);
        case 2 -> assertThat(service).isEqualTo(SECOND);
        case 3 -> assertThat(service).isEqualTo(SECOND / 4);
        case 1440 -> assertThat(service).isEqualTo(3 * SECOND / 2);
        default -> throw new AssertionError("an invocation in minute " + minute);
      }
    }
    assertThat(perMinute[1]).isEqualTo(3);
    assertThat(perMinute[2]).isEqualTo(2);
    assertThat(perMinute[3]).isEqualTo(5);
    assertThat(perMinute[1440]).isEqualTo(1);
    assertThat(trace.attribution()).hasValueSatisfying(text -> assertThat(text).contains("Serverless in the Wild"));
    assertThat(trace.notes())
        .anyMatch(note -> note.contains("FORMAT FIXTURE, NOT DATA"))
        .anyMatch(note -> note.contains("spread uniformly at random within their minute (seed 7)"))
        .anyMatch(note -> note.contains("for 2 of 3 function(s), 1 s for the others"));
  }

  @Test
  void functions_spreading_is_repeatable_by_seed() throws Exception {
    Path file = fixture("azure-functions-format.csv");

    Trace first = TraceReaders.read(file, TraceOptions.defaults().withSeed(3));
    Trace again = TraceReaders.read(file, TraceOptions.defaults().withSeed(3));
    Trace other = TraceReaders.read(file, TraceOptions.defaults().withSeed(4));

    assertThat(arrivals(again)).containsExactlyElementsOf(arrivals(first));
    assertThat(arrivals(other)).isNotEqualTo(arrivals(first));
    assertThat(first.notes()).anyMatch(note -> note.contains("1 s for every invocation (no durations file given)"));
  }

  @Test
  void only_one_app_can_be_replayed() throws Exception {
    Trace trace = TraceReaders.read(fixture("azure-functions-format.csv"),
        TraceOptions.defaults().withOnlyApp("appb").withDefaultService(Duration.ofMillis(200)));

    assertThat(trace.size()).isEqualTo(1);
    assertThat(trace.appLabels()).containsExactly("appb");
    assertThat(trace.serviceNanos(0)).isEqualTo(SECOND / 5);
  }

  record Broken(String name, String content, String message) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Broken> brokenFiles() {
    return Stream.of(
        new Broken("unknown header", "when,where\n1,2\n", ":1: header when,where is none of the known formats"),
        new Broken("empty", "# nothing\n", ":1: empty file"),
        new Broken("bad number", "arrival_seconds,app,service_seconds\n1,a,2\nsoon,a,1\n",
            ":3: arrival_seconds: soon (expected: a number of seconds)"),
        new Broken("negative service", "arrival_seconds,app,service_seconds\n1,a,-2\n",
            ":2: service_seconds: -2 (expected: a finite number of seconds >= 0)"),
        new Broken("missing field", "arrival_seconds,app,service_seconds\n1,a\n", ":2: 2 field(s)"),
        new Broken("bad timestamp", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16T18:15:46,1,1\n",
            ":2: TIMESTAMP: 2023-11-16T18:15:46 (expected: a timestamp YYYY-MM-DD HH:MM:SS[.fffffff])"),
        new Broken("bad tokens", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.1,x,1\n",
            ":2: ContextTokens: x (expected: a token count >= 0)"),
        new Broken("header only", "arrival_seconds,app,service_seconds\n", "no requests"));
  }

  @ParameterizedTest
  @MethodSource("brokenFiles")
  void a_broken_file_is_refused_naming_the_file_and_line(Broken broken) throws IOException {
    Path file = temp.resolve("broken.csv");
    Files.writeString(file, broken.content());

    assertThatThrownBy(() -> TraceReaders.read(file, TraceOptions.defaults()))
        .isInstanceOf(TraceException.class)
        .hasMessageStartingWith(file.toString())
        .hasMessageContaining(broken.message());
  }

  @Test
  void a_trace_of_several_apps_cannot_be_split_again() {
    assertThatThrownBy(() -> TraceReaders.read(fixture("requests.csv"),
        TraceOptions.defaults().withApps(2, TraceOptions.Split.OFFSET)))
        .isInstanceOf(TraceException.class)
        .hasMessageContaining("2 apps already");
  }

  static Path fixture(String name) throws URISyntaxException {
    return Path.of(SimulationTraceReadersTest.class.getResource("/simulate/" + name).toURI());
  }

  private static List<Long> arrivals(Trace trace) {
    List<Long> arrivals = new ArrayList<>();
    for (int i = 0; i < trace.size(); i++) {
      arrivals.add(trace.arrivalNanos(i));
    }
    return arrivals;
  }
}

package io.sluice.config;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Config files come from users and are untrusted: whatever a file holds, a reader returns its result or throws a
 * {@link ConfigException} that names the file on every line, one line per problem, within {@link #PER_CASE}; never any
 * other exception (no NullPointerException, NumberFormatException, IllegalArgumentException, StackOverflowError...).
 *
 * <p>Inputs are the fixtures and a fuller seed per reader, mutated with the syntax in mind (bits flipped, bytes
 * deleted, lines duplicated, dropped, swapped or repeated, values swapped for hostile ones of another type, keys
 * renamed, values wrapped in nesting near the limit, control characters and invalid UTF-8 inserted, truncation), and
 * documents built from a small grammar of each format. Half the cases go through the file on disk (so that bytes are
 * decoded by the reader), half through the text entry point.
 *
 * <p>Every case is made from its own seed, derived from {@link #SEED}, the reader, the source and the case index; a
 * failure prints them with the input as a Java literal. Another run: {@code -Dsluice.fuzz.seed=7}; a longer one:
 * {@code -Dsluice.fuzz.cases=100000}.
 */
class ConfigFuzzTest {

  private static final long SEED = Long.getLong("sluice.fuzz.seed", 20_260_301L);
  private static final int CASES = Integer.getInteger("sluice.fuzz.cases", 500);
  private static final Duration PER_CASE = Duration.ofSeconds(2);
  private static final int MAX_FAILURES_SHOWN = 5;

  @TempDir
  static Path tmp;

  enum Syntax { TOML, YAML }

  enum Reader {
    CEREBRIUM("cerebrium.toml", Syntax.TOML),
    TRUSS("config.yaml", Syntax.YAML),
    NODE("sluice.toml", Syntax.TOML);

    final String fileName;
    final Syntax syntax;

    Reader(String fileName, Syntax syntax) {
      this.fileName = fileName;
      this.syntax = syntax;
    }

    Object read(Path file) throws ConfigException {
      return switch (this) {
        case CEREBRIUM -> AppConfigReader.readCerebrium(file, "app");
        case TRUSS -> AppConfigReader.readTruss(file, "app");
        case NODE -> NodeConfigReader.read(file);
      };
    }

    Object parse(String text, Path shownAs) throws ConfigException {
      return switch (this) {
        case CEREBRIUM -> AppConfigReader.parseCerebrium(text, shownAs, "app");
        case TRUSS -> AppConfigReader.parseTruss(text, shownAs, "app");
        case NODE -> NodeConfigReader.parse(text, shownAs);
      };
    }
  }

  enum Source { MUTATED_SEED, GRAMMAR }

  /**
   * One input. {@code bytes} holds one char per byte (ISO-8859-1), so that edits by line and by byte mix freely and
   * invalid UTF-8 survives them.
   */
  record Case(Reader reader, Source source, int index, long seed, String bytes, boolean fromDisk, List<String> how) {

    String describe(String problem) {
      byte[] raw = bytes.getBytes(ISO_8859_1);
      String input;
      try {
        input = "input (UTF-8, " + raw.length + " bytes): "
            + javaLiteral(UTF_8.newDecoder().decode(ByteBuffer.wrap(raw)).toString());
      } catch (CharacterCodingException e) {
        input = "input (not UTF-8; one char per byte, read back with getBytes(ISO_8859_1), " + raw.length + " bytes): "
            + javaLiteral(bytes);
      }
      return reader + " " + source + " case #" + index + " of -Dsluice.fuzz.seed=" + SEED + " (case seed " + seed
          + ", " + (fromDisk ? "read from disk" : "parsed from text") + "): " + problem
          + "\n  made by: " + String.join("; ", how)
          + "\n  " + input;
    }
  }

  @ParameterizedTest
  @EnumSource(Reader.class)
  void seeds_of_the_fuzzer_are_configs_the_reader_accepts(Reader reader) throws Exception {
    for (String seed : seeds(reader)) {
      assertThat(reader.parse(seed, Path.of(reader.fileName))).as(seed).isNotNull();
    }
  }

  @ParameterizedTest
  @EnumSource(Reader.class)
  void mutated_configs_are_read_or_refused_with_a_config_exception_naming_the_file(Reader reader) {
    fuzz(reader, Source.MUTATED_SEED);
  }

  @ParameterizedTest
  @EnumSource(Reader.class)
  void documents_from_a_small_grammar_are_read_or_refused_with_a_config_exception_naming_the_file(Reader reader) {
    fuzz(reader, Source.GRAMMAR);
  }

  private static void fuzz(Reader reader, Source source) {
    List<String> failures = new ArrayList<>();
    AtomicReference<Case> running = new AtomicReference<>();
    // Preemptive, so that a parser caught in a loop fails the test with the case it was on instead of hanging it.
    assertTimeoutPreemptively(Duration.ofMillis(100L * CASES).plusSeconds(30), () -> {
      for (int i = 0; i < CASES && failures.size() < MAX_FAILURES_SHOWN; i++) {
        Case input = make(reader, source, i);
        running.set(input);
        String problem = check(input);
        if (problem != null) {
          failures.add(input.describe(problem));
        }
      }
    }, () -> "still running " + running.get().describe("did not finish"));
    if (!failures.isEmpty()) {
      String report = String.join("\n\n", failures);
      System.err.println(report);
      fail(failures.size() + " failing case(s)" + (failures.size() == MAX_FAILURES_SHOWN ? " (stopped there)" : "")
          + ":\n" + report);
    }
  }

  static Case make(Reader reader, Source source, int index) {
    long seed = mix(mix(SEED) + 1_000_003L * (reader.ordinal() * Source.values().length + source.ordinal()) + index);
    Random random = new Random(seed);
    List<String> how = new ArrayList<>();
    List<String> seeds = seeds(reader);
    String doc;
    if (source == Source.MUTATED_SEED) {
      int which = random.nextInt(seeds.size());
      how.add("seed #" + which);
      doc = asBytes(seeds.get(which));
      int edits = 1 + random.nextInt(random.nextInt(4) == 0 ? 8 : 3);
      for (int e = 0; e < edits; e++) {
        doc = mutate(doc, random, reader.syntax, how);
      }
    } else {
      String base = "";
      if (random.nextInt(3) == 0) {
        int which = random.nextInt(seeds.size());
        how.add("seed #" + which + " followed by");
        base = seeds.get(which);
      }
      String generated = reader.syntax == Syntax.TOML
          ? new TomlGrammar(random, reader == Reader.NODE).document()
          : new YamlGrammar(random).document();
      how.add("a random " + reader.syntax + " document");
      doc = asBytes(base + generated);
      if (random.nextInt(4) == 0) {
        doc = mutate(doc, random, reader.syntax, how);
      }
    }
    return new Case(reader, source, index, seed, doc, random.nextBoolean(), how);
  }

  /** Null when the reader behaved, else what went wrong. */
  static String check(Case input) {
    Path file;
    String text = null;
    byte[] raw = input.bytes().getBytes(ISO_8859_1);
    if (input.fromDisk()) {
      file = tmp.resolve(input.reader().name()).resolve(input.reader().fileName);
      try {
        Files.createDirectories(file.getParent());
        Files.write(file, raw);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    } else {
      file = Path.of("fuzz", input.reader().fileName);
      // As an upload handed over as text would be: decoded, with whatever is not UTF-8 replaced.
      text = new String(raw, UTF_8);
    }
    long start = System.nanoTime();
    String problem;
    try {
      Object result = input.fromDisk() ? input.reader().read(file) : input.reader().parse(text, file);
      problem = result == null ? "returned null" : result instanceof LoadedApp app ? badNotice(app) : null;
    } catch (ConfigException e) {
      problem = badMessage(e, file);
    } catch (Throwable e) { // StackOverflowError and OutOfMemoryError included: they are what this test looks for
      problem = "threw " + e + "\n    at " + Arrays.stream(e.getStackTrace()).limit(12)
          .map(StackTraceElement::toString).collect(Collectors.joining("\n    at "));
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    if (took.compareTo(PER_CASE) > 0) {
      problem = "took " + took.toMillis() + " ms (bound: " + PER_CASE.toMillis() + " ms)"
          + (problem == null ? "" : "; " + problem);
    }
    return problem;
  }

  // Notices are sentences shown to the user, one per line, like problems.
  private static String badNotice(LoadedApp app) {
    return app.notices().stream()
        .filter(notice -> notice.chars().anyMatch(Character::isISOControl))
        .findFirst()
        .map(notice -> "a notice holds a control character: " + javaLiteral(notice))
        .orElse(null);
  }

  private static String badMessage(ConfigException e, Path file) {
    List<String> lines = e.getMessage().lines().toList();
    if (!e.file().equals(file)) {
      return "ConfigException names " + e.file() + " instead of " + file + ": " + e.getMessage();
    }
    if (lines.size() != e.problems().size()) {
      return e.problems().size() + " problem(s) rendered on " + lines.size() + " line(s): "
          + javaLiteral(e.getMessage());
    }
    if (!lines.stream().allMatch(line -> line.startsWith(file + ":"))) {
      return "a line of the message does not start with the file: " + javaLiteral(e.getMessage());
    }
    if (lines.stream().anyMatch(line -> line.chars().anyMatch(Character::isISOControl))) {
      return "the message holds a control character: " + javaLiteral(e.getMessage());
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // What the fuzzer found, each kept as a case of its own (the limits it led to are rows of HostileConfigTest)

  private static final String TRUSS_SERVER = """
      docker_server:
        start_command: python server.py
        server_port: 8080
        predict_endpoint: /predict
      """;
  private static final String CEREBRIUM_RUNTIME = """
      [cerebrium.runtime.custom]
      port = 8080
      entrypoint = ["python", "server.py"]
      """;

  record Finding(String name, Reader reader, String text, List<String> messageParts) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Finding finding(String name, Reader reader, String text, String... messageParts) {
    return new Finding(name, reader, text, List.of(messageParts));
  }

  static Stream<Finding> findings() {
    return Stream.of(
        finding("yaml escape of no code point is a syntax error, not an IllegalArgumentException", Reader.TRUSS,
            TRUSS_SERVER + "environment_variables:\n  HF_HOME: \"\\U00110000\"\n",
            "config.yaml:6:10: YAML syntax error: ", "00110000", "(expected: valid YAML)"),
        finding("yaml key with a line break is quoted in its problem", Reader.TRUSS,
            TRUSS_SERVER + "secrets:\n  \"hf\\ntoken\": null\n",
            "config.yaml:6: secrets.\"hf\\ntoken\": not a valid secret name (expected: 1 to 128 letters"),
        finding("yaml key with an escape sequence is quoted in its problem", Reader.TRUSS,
            TRUSS_SERVER + "environment_variables:\n  \"A=\\e[2J\": x\n",
            "config.yaml:6: environment_variables.\"A=\\u001b[2J\" = \"x\": not a valid environment variable name"),
        finding("key with a line break inside a value is quoted in the value's problem", Reader.CEREBRIUM,
            CEREBRIUM_RUNTIME + "[cerebrium.environment_variables]\nNESTED = { \"a\\nb\" = 1 }\n",
            "cerebrium.toml: [cerebrium.environment_variables] NESTED = {\"a\\nb\" = 1}: not a string"),
        finding("tab quoted by the yaml parser is escaped in the syntax error", Reader.TRUSS,
            "a: \"\\\t\"\n", "config.yaml:1:2: YAML syntax error: found unknown escape character \\u0009(9)"),
        finding("next-line character quoted by the yaml parser is escaped in the syntax error", Reader.TRUSS,
            "a: \"\\u00\u00850\"\n", "config.yaml:1:2: YAML syntax error: expected escape sequence of 4 hexadecimal"
                + " numbers, but found: 00\\u00850 (expected: valid YAML)"),
        // Not found by the fuzzer but by reading the code while fixing the rows above.
        finding("compute with a line break is quoted in the gpu_count problem", Reader.CEREBRIUM,
            CEREBRIUM_RUNTIME + "[cerebrium.hardware]\ncompute = \"ADA_L4\\n\\u001b[2J\"\ngpu_count = 0\n",
            "cerebrium.toml: [cerebrium.hardware] gpu_count = 0: out of range"
                + " (expected: >= 1 with compute = \"ADA_L4\\n\\u001b[2J\")"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("findings")
  void what_the_fuzzer_found_is_refused_with_one_line_per_problem(Finding row) {
    Path file = Path.of(row.reader().fileName);

    assertThatThrownBy(() -> row.reader().parse(row.text(), file))
        .isInstanceOf(ConfigException.class)
        .hasMessageContainingAll(row.messageParts().toArray(String[]::new))
        .satisfies(e -> assertThat(badMessage((ConfigException) e, file)).isNull());
  }

  @Test
  void names_with_control_characters_are_quoted_in_notices() throws Exception {
    LoadedApp app = AppConfigReader.parseCerebrium(CEREBRIUM_RUNTIME + """
        [cerebrium.dependencies.apt]
        "ffmpeg\\u001b[2J" = "latest"

        [cerebrium.dependencies.paths]
        "pip\\n" = "requirements.txt"
        """, Path.of("cerebrium.toml"), "app");

    assertThat(app.notices()).containsExactly(
        "[cerebrium.dependencies.apt] lists \"ffmpeg\\u001b[2J\": Sluice does not install dependencies; install them"
            + " where the replica runs",
        "[cerebrium.dependencies.paths] names \"requirements.txt\" (\"pip\\n\"): Sluice does not install dependencies;"
            + " install them where the replica runs");
  }

  @Test
  void a_pip_name_with_control_characters_is_refused_and_quoted_in_the_problem() {
    assertThatThrownBy(() -> AppConfigReader.parseCerebrium(CEREBRIUM_RUNTIME + """
        [cerebrium.dependencies.pip]
        "numpy\\u001b[2J" = "latest"
        """, Path.of("cerebrium.toml"), "app"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("[cerebrium.dependencies.pip] \"numpy\\u001b[2J\" = \"latest\": not a pip package name")
        .hasMessageNotContaining("\u001b");
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Seeds

  private static final String FULL_CEREBRIUM = """
      [cerebrium.deployment]
      name = "full-app"
      disable_auth = true
      python_version = "3.11"
      include = ["./*"]
      exclude = [".git"]
      shell_commands = ["echo hi"]

      [cerebrium.runtime.custom]
      port = 8080
      entrypoint = ["uvicorn", "main:app", "--port", "8080"]
      healthcheck_endpoint = "/health"
      readycheck_endpoint = "/ready"

      [cerebrium.hardware]
      compute = "ADA_L4"
      gpu_count = 2
      cpu = 4.5
      memory = 32
      provider = "aws"
      region = "us-east-1"

      [cerebrium.scaling]
      min_replicas = 1
      max_replicas = 10
      cooldown = 120
      replica_concurrency = 8
      scaling_metric = "requests_per_second"
      scaling_target = 70
      scaling_buffer = 2
      response_grace_period = 30

      [cerebrium.dependencies.pip]
      numpy = "latest"

      [cerebrium.dependencies.paths]
      pip = "requirements.txt"

      [cerebrium.environment_variables]
      MODEL = "llama"
      WORKERS = 4

      [sluice]
      request_timeout = 60
      protocol = "h2c"
      websocket_idle_timeout = 120
      websocket_max_session = 3600
      websocket_max_message_bytes = 1048576
      """;

  private static final String FULL_TRUSS = """
      model_name: full-app
      base_image:
        image: python:3.11-slim
      docker_server:
        start_command: python server.py --port 8080
        server_port: 8080
        predict_endpoint: /predict
        readiness_endpoint: /ready
        liveness_endpoint: /health
      resources:
        accelerator: H100:2
        use_gpu: true
        cpu: "500m"
        memory: 16Gi
      runtime:
        predict_concurrency: 32
        transport:
          kind: grpc
      autoscaling_settings:
        min_replica: 1
        max_replica: 4
        concurrency_target: 16
        target_utilization_percentage: 80
        autoscaling_window: 30
        scale_down_delay: 120
      secrets:
        hf_access_token: null
      environment_variables: &env
        MODEL: llama
        DEBUG: true
      model_metadata: *env
      requirements:
        - numpy
      system_packages: [ffmpeg]
      sluice:
        request_timeout: 60
        protocol: grpc
        websocket_idle_timeout: 120
        websocket_max_session: 3600
        websocket_max_message_bytes: 1048576
      """;

  private static final String FULL_NODE = """
      [[pools]]
      name = "cpu"
      gpu = "CPU"
      max_nodes = 4
      min_nodes = 1
      cpus_per_node = 16.5
      memory_gb_per_node = 64
      provision_seconds = 0
      idle_node_seconds = 600

      [[pools]]
      name = "a100"
      gpu = "AMPERE_A100_80GB"
      gpus_per_node = 8
      max_nodes = 2
      """;

  private static final List<String> CEREBRIUM_SEEDS =
      List.of(resource("/seeds/cerebrium-fastapi/cerebrium.toml"), FULL_CEREBRIUM);
  private static final List<String> TRUSS_SEEDS = List.of(resource("/seeds/truss-vllm/config.yaml"),
      resource("/seeds/truss-vllm-l4/config.yaml"), resource("/seeds/truss-infinity/config.yaml"), FULL_TRUSS);
  private static final List<String> NODE_SEEDS = List.of(resource("/node/sluice.toml"),
      resource("/node/minimal.toml"), resource("/node/local-gpu.toml"), FULL_NODE);

  static List<String> seeds(Reader reader) {
    return switch (reader) {
      case CEREBRIUM -> CEREBRIUM_SEEDS;
      case TRUSS -> TRUSS_SEEDS;
      case NODE -> NODE_SEEDS;
    };
  }

  private static String resource(String name) {
    try (InputStream in = ConfigFuzzTest.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("no test resource " + name);
      }
      return new String(in.readAllBytes(), UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Mutations, on documents held one char per byte

  /** Bytes worth putting anywhere: syntax, whitespace, NUL and other controls, and the start of invalid UTF-8. */
  private static final String INTERESTING_BYTES = "\0\u0001\u0007\b\t\n\u000b\f\r\u001b\u007f\u0080\u00bf\u00c0"
      + "\u00c3\u00e2\u00ed\u00ef\u00f4\u00f8\u00fe\u00ff\"'[]{}:=#&*!-|>,.\\ ?%@`~";

  /** Text to insert anywhere, already one char per byte; the raw ones are invalid UTF-8 on purpose. */
  private static final List<String> FRAGMENTS = List.of(
      "[", "]", "[[", "]]", "{", "}", "\"", "\"\"\"", "'''", "'", ",", ".", "=", ": ", "- ", "? ", "#", "\\", "\\u",
      "\\U0010FFFF", "\\uD800", "\\U00110000", "\\x00", "&a ", "*a", "&a [1, 2]", "!!binary ", "!!int ", "!!float ",
      "!!map ", "!!seq ", "!!set ", "!!omap ", "!ruby/object:X ", "<<: ", "---\n", "...\n", "%YAML 1.1\n", "%TAG ! x\n",
      "\t", "\r", "\r\n", "\n\n", "   ", "\0", "\u001b[31m",
      asBytes("\uFEFF"), asBytes("\u2028"), asBytes("\u0085"), asBytes("\u202E"), asBytes("\uD83D\uDE00"),
      asBytes("ключ"), asBytes("名前"),
      "\u00c3\u0028", "\u00e2\u0082", "\u00f0\u009f\u0098", "\u00ed\u00a0\u0080", "\u00f4\u0090\u0080\u0080",
      "\u00c0\u00af", "\u00ff", "\u00fe\u00ff", "\u0080");

  /** Values TOML accepts, of every type, many of them wrong for the key they end up at. */
  private static final List<String> TOML_VALUES = List.of(
      "\"text\"", "\"\"", "\" \"", "''", "'literal \\ back'", "\"\"\"multi\nline\"\"\"", "'''raw\nlines'''",
      "\"\\u0000\"", "\"\\n\\t\\r\"", "\"\\u001b[2J\"", "\"/\"", "\"/ok\"", "\"/has space\"", "\"/\\u0007bell\"",
      "\"no-slash\"", "\"CPU\"", "\"cpu \"", "\"\\nADA_L4\\n\"", "\"ADA_L4\"", "\"HOPPER_H100\"", "\"L4\"", "\"T4\"",
      "\"concurrency_utilization\"", "\"requests_per_second\"", "\"Bad Name\"", "\"ab\"", "\"a-\"",
      "\"" + "x".repeat(3000) + "\"", "\"" + "ü".repeat(300) + "\"", "\"🙂\"", "\"\\uFFFF\"",
      "0", "-0", "+0", "1", "-1", "+1", "-5", "65535", "65536", "70000", "100", "101", "2147483647", "2147483648",
      "-2147483648", "-2147483649", "9223372036854775807", "-9223372036854775808", "0x7fffffff", "0xDEAD_BEEF",
      "0o777", "0b1010", "1_000", "0.0", "-0.0", "1.5", "0.5", "1e3", "1e309", "-1e309", "1e-400", "6.02e23", "inf",
      "+inf", "-inf", "nan", "-nan", "true", "false", "1979-05-27T07:32:00Z", "1979-05-27T00:32:00.999999-07:00",
      "1979-05-27", "07:32:00", "[]", "[1, \"a\"]", "[\"python\", \"server.py\"]", "[\"\", \"x\"]", "[\" \"]",
      "[[1], [2]]", "[1, [2, [3]]]", "[{a = 1}]", "{}", "{ a = 1 }", "{ port = \"x\" }", "{a.b = 1}", "[\"a\",]",
      "{ \"a\\nb\" = 1 }");

  /** What TOML refuses, or Jackson's limits do: for mutations, and now and then in a generated document. */
  private static final List<String> TOML_BROKEN_VALUES = List.of(
      "\"\\uD800\"", "\"\\U00110000\"", "\"\\UFFFFFFFF\"", "\"\\x41\"", "9223372036854775808", "-9223372036854775809",
      "99999999999999999999999999999999", "9".repeat(1100), "1." + "9".repeat(1100), "1__0", "_1", "1_", "00", "01",
      "TRUE", "9999-99-99", "1979-05-27T25:00:00Z", "[,]", "{a = 1,}", "{a = 1, a = 2}", "\"unterminated", "'", "");

  /** Values YAML accepts, of every type and with tags, anchors and aliases, many wrong for their key. */
  private static final List<String> YAML_VALUES = List.of(
      "text", "\"text\"", "''", "\"\"", "\" \"", "'it''s'", "\"\\0\"", "\"\\x00\"", "\"\\e[2J\"", "\"\\uD800\"",
      "\"\\N\\_\\L\\P\"", "/", "/ok", "\"/has space\"", "\"/\\a\"", "no-slash", "CPU", "L4", "\"\\nL4\"", "H100:2",
      "H100:0", "H100:", "H100:-1", "H100:99999", ":2", "L4:2:3", "500m", "0.5m", "1e3", "-1", "16Gi", "16GiB", "1Ei",
      "999999999Ei", "1.5.5", ".5", "5.", "\"" + "9".repeat(1100) + "m\"", "x".repeat(3000),
      "\"" + "ü".repeat(300) + "\"", "🙂", "Bad Name", "a-",
      "0", "-0", "+1", "-5", "65535", "65536", "2147483647", "2147483648", "-2147483649", "9223372036854775808",
      "99999999999999999999999999999999", "9".repeat(1100), "0x7fffffff", "0xFFFFFFFFFFFFFFFFFFFF", "0o777",
      "0b1010", "017", "09", "1_000", "1:20", "190:20:30", "0.0", "-0.0", "1.5", "1e309", "-1e309", "1e-400", ".inf",
      "-.inf", ".nan", ".NaN", "1." + "9".repeat(1100), "true", "false", "yes", "no", "on", "off", "~", "null", "Null",
      "2001-12-14", "2001-12-14t21:59:43.10-05:00", "!!binary aGVsbG8=", "!!float .inf", "!!str 5", "!!set {a, b}",
      "!!omap [a: 1]", "!custom x", "!<tag:yaml.org,2002:int> 5", "&x 5", "*x", "&m {a: 1}", "*m", "[]", "{}",
      "[1, [2, [3]]]", "{a: [b, {c: d}]}", "{\"a\\nb\": 1}", "[? a : b]", "|\n  block\n", ">-\n  folded\n",
      "- a\n- b");

  /** What YAML (or Jackson reading it) refuses: for mutations, and now and then in a generated document. */
  private static final List<String> YAML_BROKEN_VALUES = List.of(
      "\"\\U00110000\"", "\"\\q\"", "0x", "0o", "0b", "_1", "1_", "+", "-", "!!binary ###", "!!int x",
      "!!int 0x", "!!int " + "9".repeat(1100), "!!float x", "!!bool maybe", "!!null x", "!!timestamp x", "A10G : 3",
      "[a, b", "{a: 1, a: 2}", "{? a}", "|-9\n x\n", "|\n\ttab\n", "\"unterminated", "'unterminated",
      "? [a, b]\n: c", "&a[1]", "*", "");

  private static final Pattern TOML_KEY_VALUE =
      Pattern.compile("^(\\s*)([A-Za-z0-9_\\-.\"' ]+?)(\\s*=\\s*)(.*)$");
  private static final Pattern YAML_KEY_VALUE =
      Pattern.compile("^(\\s*(?:- )?)([^#:\\s][^:\\n]*?)(:[ ]+|:$)(.*)$");

  private static final List<String> KEYS = List.of(
      "\"\"", "\" \"", "\"a.b\"", "a.b", "\"" + "k".repeat(2000) + "\"", "ключ", "\"名前\"", "\"🙂\"", "\"a\\nb\"",
      "\"a\\u0000b\"", "\"a=b\"", "'single'", "1", "-", "_", "true", "null", "~", "<<", "? x", "\"x\\ty\"",
      "port", "entrypoint", "name", "gpu", "max_nodes", "docker_server", "server_port", "secrets", "cpu", "memory",
      "environment_variables", "pools", "cerebrium", "sluice");

  static String mutate(String doc, Random random, Syntax syntax, List<String> how) {
    int length = doc.length();
    switch (random.nextInt(14)) {
      case 0 -> {
        if (length == 0) {
          return doc;
        }
        int at = random.nextInt(length);
        int bit = random.nextInt(8);
        how.add("flip bit " + bit + " of byte " + at);
        return doc.substring(0, at) + (char) ((doc.charAt(at) ^ (1 << bit)) & 0xff) + doc.substring(at + 1);
      }
      case 1 -> {
        if (length == 0) {
          return doc;
        }
        int at = random.nextInt(length);
        char b = INTERESTING_BYTES.charAt(random.nextInt(INTERESTING_BYTES.length()));
        how.add("set byte " + at + " to 0x" + Integer.toHexString(b));
        return doc.substring(0, at) + b + doc.substring(at + 1);
      }
      case 2 -> {
        if (length == 0) {
          return doc;
        }
        int at = random.nextInt(length);
        int count = 1 + random.nextInt(Math.min(16, length - at));
        how.add("delete " + count + " bytes at " + at);
        return doc.substring(0, at) + doc.substring(at + count);
      }
      case 3 -> {
        int at = random.nextInt(length + 1);
        String fragment = FRAGMENTS.get(random.nextInt(FRAGMENTS.size()));
        how.add("insert " + javaLiteral(fragment) + " at " + at);
        return doc.substring(0, at) + fragment + doc.substring(at);
      }
      case 4 -> {
        int at = random.nextInt(length + 1);
        how.add("truncate at " + at);
        return doc.substring(0, at);
      }
      case 5 -> {
        List<String> lines = lines(doc);
        int from = random.nextInt(lines.size());
        int to = random.nextInt(lines.size() + 1);
        how.add("copy line " + from + " before line " + to);
        lines.add(to, lines.get(from));
        return String.join("\n", lines);
      }
      case 6 -> {
        List<String> lines = lines(doc);
        int at = random.nextInt(lines.size());
        how.add("delete line " + at);
        lines.remove(at);
        return String.join("\n", lines);
      }
      case 7 -> {
        List<String> lines = lines(doc);
        int a = random.nextInt(lines.size());
        int b = random.nextInt(lines.size());
        how.add("swap lines " + a + " and " + b);
        String line = lines.get(a);
        lines.set(a, lines.get(b));
        lines.set(b, line);
        return String.join("\n", lines);
      }
      case 8 -> {
        List<String> lines = lines(doc);
        int at = random.nextInt(lines.size());
        int times = 2 + random.nextInt(random.nextBoolean() ? 5 : 300);
        how.add("repeat line " + at + " " + times + " times");
        for (int i = 1; i < times; i++) {
          lines.add(at, lines.get(at));
        }
        return String.join("\n", lines);
      }
      case 9 -> {
        List<String> lines = lines(doc);
        int at = random.nextInt(lines.size());
        String line = lines.get(at);
        String changed;
        if (random.nextBoolean() && !line.isEmpty() && (line.charAt(0) == ' ' || line.charAt(0) == '\t')) {
          changed = line.substring(1);
          how.add("unindent line " + at + " by one");
        } else {
          String indent = random.nextInt(5) == 0 ? "\t" : " ".repeat(1 + random.nextInt(4));
          changed = indent + line;
          how.add("indent line " + at + " by " + javaLiteral(indent));
        }
        lines.set(at, changed);
        return String.join("\n", lines);
      }
      case 10, 11 -> {
        return editKeyValue(doc, random, syntax, how, parts -> {
          List<String> values = syntax == Syntax.TOML
              ? (random.nextInt(3) == 0 ? TOML_BROKEN_VALUES : TOML_VALUES)
              : (random.nextInt(3) == 0 ? YAML_BROKEN_VALUES : YAML_VALUES);
          String value = asBytes(values.get(random.nextInt(values.size())));
          how.add("set the value of " + javaLiteral(parts.group(2)) + " to " + javaLiteral(shorten(value)));
          return parts.group(1) + parts.group(2) + parts.group(3) + value;
        });
      }
      case 12 -> {
        return editKeyValue(doc, random, syntax, how, parts -> {
          String key = asBytes(KEYS.get(random.nextInt(KEYS.size())));
          how.add("rename key " + javaLiteral(parts.group(2)) + " to " + javaLiteral(shorten(key)));
          return parts.group(1) + key + parts.group(3) + parts.group(4);
        });
      }
      default -> {
        return editKeyValue(doc, random, syntax, how, parts -> {
          // Around the limit of 50 levels, and now and then far past it.
          int levels = random.nextInt(4) == 0 ? 1 + random.nextInt(3000) : 45 + random.nextInt(10);
          boolean tables = random.nextBoolean();
          String open = tables ? (syntax == Syntax.TOML ? "{a = " : "{a: ") : "[";
          String close = tables ? "}" : "]";
          how.add("wrap the value of " + javaLiteral(parts.group(2)) + " in " + levels + " levels of "
              + (tables ? "tables" : "arrays"));
          String value = parts.group(4).isBlank() ? "1" : parts.group(4);
          return parts.group(1) + parts.group(2) + parts.group(3) + open.repeat(levels) + value + close.repeat(levels);
        });
      }
    }
  }

  private static String editKeyValue(String doc, Random random, Syntax syntax, List<String> how,
      Function<Matcher, String> edit) {
    List<String> lines = lines(doc);
    Pattern pattern = syntax == Syntax.TOML ? TOML_KEY_VALUE : YAML_KEY_VALUE;
    List<Integer> candidates = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (pattern.matcher(lines.get(i)).matches()) {
        candidates.add(i);
      }
    }
    if (candidates.isEmpty()) {
      how.add("no key to edit");
      return doc;
    }
    int at = candidates.get(random.nextInt(candidates.size()));
    Matcher parts = pattern.matcher(lines.get(at));
    parts.matches();
    lines.set(at, edit.apply(parts));
    return String.join("\n", lines);
  }

  private static List<String> lines(String doc) {
    return new ArrayList<>(Arrays.asList(doc.split("\n", -1)));
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Grammars: documents of the right shape, with the keys the readers know, values of any type, anchors and aliases

  private static final List<String> TOML_TABLES = List.of("cerebrium", "cerebrium.runtime", "cerebrium.runtime.custom",
      "cerebrium.deployment", "cerebrium.hardware", "cerebrium.scaling", "cerebrium.dependencies",
      "cerebrium.dependencies.pip", "cerebrium.dependencies.paths", "cerebrium.environment_variables", "sluice",
      "cerebrium.runtime.custom.extra", "\"quoted table\"", "a.\"b.c\".d", "\"\\u001b\"");

  private static final List<String> TOML_KEYS = List.of("port", "entrypoint", "healthcheck_endpoint",
      "readycheck_endpoint", "name", "disable_auth", "python_version", "docker_base_image_url", "include", "exclude",
      "shell_commands", "pre_build_commands", "compute", "gpu_count", "cpu", "memory", "provider", "region",
      "min_replicas", "max_replicas", "cooldown", "replica_concurrency", "scaling_metric", "scaling_target",
      "scaling_buffer", "response_grace_period", "request_timeout", "protocol", "websocket_idle_timeout",
      "websocket_max_session", "websocket_max_message_bytes", "pip", "apt", "conda", "paths",
      "gpu", "gpus_per_node", "min_nodes", "max_nodes", "provision_seconds", "idle_node_seconds", "cpus_per_node",
      "memory_gb_per_node", "pools", "runtime", "custom", "MODEL", "\"\"", "\"a b\"", "\"ключ\"", "\"a\\nb\"",
      "\"a\\u0000b\"", "\"A=B\"");

  private static final List<String> NODE_KEYS = List.of("name", "gpu", "gpus_per_node", "min_nodes", "max_nodes",
      "provision_seconds", "idle_node_seconds", "cpus_per_node", "memory_gb_per_node", "pools", "nodes");

  /**
   * TOML: headers, arrays of tables, key = value with dotted and quoted keys, values nested a few levels. Mostly
   * valid TOML (a table or key is seldom defined twice), so that most documents reach the mapping to an app or pools.
   */
  static final class TomlGrammar {
    private final Random random;
    private final boolean node;
    private final StringBuilder out = new StringBuilder();
    private final Set<String> headers = new HashSet<>();
    private Set<String> keys = new HashSet<>();

    TomlGrammar(Random random, boolean node) {
      this.random = random;
      this.node = node;
    }

    String document() {
      int statements = 1 + random.nextInt(14);
      for (int i = 0; i < statements; i++) {
        switch (random.nextInt(10)) {
          case 0, 1 -> {
            String header = node ? pick(List.of("pools", "pools.x", "other")) : pick(TOML_TABLES);
            if (headers.add(header) || random.nextInt(20) == 0) {
              out.append('[').append(header).append("]\n");
              keys = new HashSet<>();
            }
          }
          case 2 -> {
            out.append("[[").append(node || random.nextBoolean() ? "pools" : "extra").append("]]\n");
            keys = new HashSet<>();
          }
          case 3 -> out.append(random.nextBoolean() ? "# a comment\n" : "\n");
          default -> {
            String key = pick(node ? NODE_KEYS : TOML_KEYS);
            String dotted = random.nextInt(6) == 0 ? pick(TOML_KEYS) + "." + key : key;
            String first = dotted.equals(key) ? key : dotted.substring(0, dotted.indexOf('.'));
            if (keys.add(first) || random.nextInt(20) == 0) {
              out.append(dotted).append(" = ").append(value(0)).append('\n');
            }
          }
        }
      }
      return out.toString();
    }

    private String value(int depth) {
      int kind = random.nextInt(depth < 3 ? 10 : 7);
      return switch (kind) {
        case 7, 8 -> {
          List<String> elements = new ArrayList<>();
          for (int i = random.nextInt(4); i > 0; i--) {
            elements.add(value(depth + 1));
          }
          yield "[" + String.join(", ", elements) + "]";
        }
        case 9 -> {
          Set<String> entries = new LinkedHashSet<>();
          for (int i = random.nextInt(4); i > 0; i--) {
            entries.add(pick(TOML_KEYS));
          }
          yield "{ " + entries.stream().map(key -> key + " = " + value(depth + 1)).collect(Collectors.joining(", "))
              + " }";
        }
        default -> pick(random.nextInt(25) == 0 ? TOML_BROKEN_VALUES : TOML_VALUES);
      };
    }

    private String pick(List<String> options) {
      return options.get(random.nextInt(options.size()));
    }
  }

  private static final List<String> YAML_KEYS = List.of("model_name", "docker_server", "start_command",
      "server_port", "predict_endpoint", "readiness_endpoint", "liveness_endpoint", "resources", "accelerator",
      "use_gpu", "cpu", "memory", "runtime", "predict_concurrency", "autoscaling_settings", "min_replica",
      "max_replica", "concurrency_target", "target_utilization_percentage", "autoscaling_window", "scale_down_delay",
      "secrets", "hf_access_token", "environment_variables", "requirements", "system_packages", "python_version",
      "base_image", "image", "sluice", "request_timeout", "protocol", "websocket_idle_timeout",
      "websocket_max_session", "websocket_max_message_bytes", "transport", "kind", "<<", "\"quoted key\"",
      "'a\\nb'", "\"a\\nb\"", "\"a\\u0000b\"", "\"\\e[31m\"", "../etc/passwd", "ключ", "1", "true", "null", "~",
      "\"\"");

  /**
   * YAML: block maps and lists, flow collections, anchors and aliases, tags, now and then several documents. Keys
   * are mostly unique in their map and aliases mostly refer to a finished anchor, so that most documents are read.
   */
  static final class YamlGrammar {
    private final Random random;
    private final StringBuilder out = new StringBuilder();
    private final List<String> anchors = new ArrayList<>();
    private int anchorCount;

    YamlGrammar(Random random) {
      this.random = random;
    }

    String document() {
      switch (random.nextInt(12)) {
        case 0 -> out.append("---\n");
        case 1 -> out.append("%YAML 1.1\n---\n");
        default -> { }
      }
      if (random.nextInt(30) == 0) {
        out.append(random.nextBoolean() ? flow(0) : scalar()).append('\n');
      } else {
        map(0, 0);
      }
      if (random.nextInt(30) == 0) {
        out.append("---\n");
        map(0, 0);
      }
      return out.toString();
    }

    private void map(int indent, int depth) {
      Set<String> keys = new HashSet<>();
      for (int i = 1 + random.nextInt(5); i > 0; i--) {
        String key = pick(YAML_KEYS);
        if (keys.add(key) || random.nextInt(20) == 0) {
          out.append(" ".repeat(indent)).append(key).append(':');
          value(indent, depth);
        }
      }
    }

    private void list(int indent, int depth) {
      for (int i = 1 + random.nextInt(4); i > 0; i--) {
        out.append(" ".repeat(indent)).append('-');
        value(indent, depth);
      }
    }

    private void value(int indent, int depth) {
      int kind = random.nextInt(depth < 4 ? 12 : 7);
      switch (kind) {
        case 7, 8, 9 -> {
          String anchor = anchor();
          out.append(anchor == null ? "" : " &" + anchor).append('\n');
          if (kind == 9) {
            list(indent + 2, depth + 1);
          } else {
            map(indent + 2, depth + 1);
          }
          finished(anchor);
        }
        case 10 -> {
          String anchor = anchor();
          out.append(' ').append(anchor == null ? "" : "&" + anchor + " ").append(flow(depth + 1)).append('\n');
          finished(anchor);
        }
        case 11 -> out.append(' ').append(alias()).append('\n');
        default -> out.append(' ').append(scalar()).append('\n');
      }
    }

    private String flow(int depth) {
      List<String> items = new ArrayList<>();
      boolean map = random.nextBoolean();
      Set<String> keys = new HashSet<>();
      for (int i = random.nextInt(4); i > 0; i--) {
        String item = depth < 4 && random.nextInt(3) == 0 ? flow(depth + 1) : random.nextInt(8) == 0 ? alias()
            : simpleScalar();
        String key = pick(YAML_KEYS);
        if (!map || keys.add(key)) {
          items.add(map ? key + ": " + item : item);
        }
      }
      return (map ? "{" : "[") + String.join(", ", items) + (map ? "}" : "]");
    }

    private String anchor() {
      return random.nextInt(4) == 0 ? "a" + anchorCount++ : null;
    }

    private void finished(String anchor) {
      if (anchor != null) {
        anchors.add(anchor);
      }
    }

    private String alias() {
      return "*" + (anchors.isEmpty() || random.nextInt(10) == 0 ? "a" + random.nextInt(3) : pick(anchors));
    }

    private String scalar() {
      String value = pick(random.nextInt(25) == 0 ? YAML_BROKEN_VALUES : YAML_VALUES);
      return value.contains("\n") ? simpleScalar() : value;
    }

    // Scalars that fit inside a flow collection without breaking it more than on purpose.
    private String simpleScalar() {
      String value = pick(YAML_VALUES);
      return value.contains("\n") || value.contains(",") || value.contains("[") || value.contains("{") ? "x" : value;
    }

    private String pick(List<String> options) {
      return options.get(random.nextInt(options.size()));
    }
  }

  // ---------------------------------------------------------------------------------------------------------------

  private static String asBytes(String text) {
    return new String(text.getBytes(UTF_8), ISO_8859_1);
  }

  private static String shorten(String text) {
    return text.length() <= 60 ? text : text.substring(0, 40) + "...(" + text.length() + " chars)";
  }

  /** splitmix64's finalizer, so that neighbouring case numbers give unrelated random streams. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  static String javaLiteral(String text) {
    StringBuilder literal = new StringBuilder("\"");
    for (char c : text.toCharArray()) {
      switch (c) {
        case '"' -> literal.append("\\\"");
        case '\\' -> literal.append("\\\\");
        case '\n' -> literal.append("\\n");
        case '\t' -> literal.append("\\t");
        case '\r' -> literal.append("\\r");
        default -> {
          if (c < 0x20 || c > 0x7e) {
            literal.append(String.format("\\u%04x", (int) c));
          } else {
            literal.append(c);
          }
        }
      }
    }
    return literal.append('"').toString();
  }
}

package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.sluice.config.ConfigFuzzTest.Reader;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Files built to hurt the readers: as large as allowed and larger, nested 100,000 deep in every way each format
 * nests, as many keys and values as fit, numbers of a million digits. Each is read from disk, as a user's file is,
 * and refused by a {@link ConfigException} naming the file, what is wrong and what would be right, within
 * {@link #WITHIN} and {@link #MAX_ALLOCATED_BYTES} of allocation, never by a StackOverflowError or OutOfMemoryError.
 *
 * <p>Limits covered elsewhere are not repeated: files over 1 MiB of one long line, nesting just past 50 levels, alias
 * bombs and aliases multiplying the document are rows of {@link ConfigCasesTest}.
 */
class HostileConfigTest {

  private static final int DEEP = 100_000;
  /** Generous for a cold JVM on a busy machine; each row takes well under a second. */
  private static final Duration WITHIN = Duration.ofSeconds(5);
  /**
   * Allocated while reading, garbage included. SnakeYAML alone allocates some 150 MB for a file of 100,000 short keys;
   * what this bound is for is the quadratic cost of a long token, which made a line of 1 MiB allocate 2 GB.
   */
  private static final long MAX_ALLOCATED_BYTES = 256L << 20;

  private static final String TRUSS_SERVER = """
      docker_server:
        start_command: python server.py
        server_port: 8080
        predict_endpoint: /predict
      """;

  @TempDir
  Path tmp;

  record Hostile(String name, Reader reader, Supplier<String> text, List<String> messageParts) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Hostile hostile(String name, Reader reader, Supplier<String> text, String... messageParts) {
    return new Hostile(name, reader, text, List.of(messageParts));
  }

  static Stream<Hostile> hostileFiles() {
    String nestedTooDeep = "Document nesting depth (51) exceeds the maximum allowed (50)";
    String tablesTooDeep = "nested deeper than 50 levels (expected: at most 50 levels of tables and arrays)";
    String listsTooDeep = "nested deeper than 50 levels (expected: at most 50 levels of maps and lists)";
    String tooManyValues = "more than 100000 values";
    String tooLarge = "is larger than 1 MiB; refused before parsing (expected: a config file of at most 1 MiB";
    String lineTooLong = ":1: a line longer than 16 KiB; refused before parsing (expected: lines of at most 16 KiB"
        + " = 16384 characters; write a long value over several lines)";
    // Deeper than a line of 16 KiB allows: TOML inline tables and keys cannot span lines.
    int deepInALine = 1500;
    return Stream.of(
        hostile("toml arrays nested 100000 deep on one line", Reader.CEREBRIUM,
            () -> "deep = " + "[".repeat(DEEP) + "]".repeat(DEEP) + "\n", "cerebrium.toml" + lineTooLong),
        hostile("toml arrays nested 100000 deep, a bracket a line", Reader.CEREBRIUM,
            () -> "deep = " + "[\n".repeat(DEEP) + "]\n".repeat(DEEP), nestedTooDeep),
        hostile("toml arrays opened 100000 deep and never closed", Reader.CEREBRIUM,
            () -> "deep = " + "[\n".repeat(DEEP), nestedTooDeep),
        hostile("toml inline tables nested 100000 deep", Reader.CEREBRIUM,
            () -> "deep = " + "{ a = ".repeat(DEEP) + "1" + " }".repeat(DEEP) + "\n", "cerebrium.toml" + lineTooLong),
        hostile("toml inline tables nested as deep as a line allows", Reader.CEREBRIUM,
            () -> "deep = " + "{ a = ".repeat(deepInALine) + "1" + " }".repeat(deepInALine) + "\n", nestedTooDeep),
        hostile("toml dotted key as deep as a line allows", Reader.CEREBRIUM,
            () -> "a" + ".a".repeat(8000) + " = 1\n", "cerebrium.toml: [" + "a.".repeat(48) + "a] a: " + tablesTooDeep),
        hostile("toml table header as deep as a line allows, and a dotted key in it", Reader.CEREBRIUM,
            () -> "[a" + ".a".repeat(8000) + "]\n" + "a" + ".a".repeat(8000) + " = 1\n", tablesTooDeep),
        hostile("toml array of tables header as deep as a line allows", Reader.NODE,
            () -> "[[pools" + ".a".repeat(8000) + "]]\nx = 1\n", "sluice.toml: [pools" + ".a".repeat(48) + "] a: "
                + tablesTooDeep),
        hostile("toml with as many keys as fit in 1 MiB", Reader.CEREBRIUM,
            () -> keys(" = 1\n", ConfigText.MAX_BYTES),
            "cerebrium.toml: " + tooManyValues + " (expected: a config file of at most 100000 values)"),
        hostile("toml array with as many values as fit in 1 MiB", Reader.CEREBRIUM,
            () -> "a = [\n" + "1, 1, 1, 1, 1, 1, 1, 1, 1, 1,\n".repeat(ConfigText.MAX_BYTES / 31) + "1]\n",
            "cerebrium.toml: a: " + tooManyValues),
        hostile("toml with a million keys", Reader.CEREBRIUM,
            () -> keys(" = 1\n", 10 * ConfigText.MAX_BYTES), "cerebrium.toml: " + tooLarge),
        hostile("toml line of a million characters", Reader.CEREBRIUM,
            () -> "[cerebrium.runtime.custom]\nentrypoint = \"" + "x".repeat(1_000_000) + "\"\n",
            "cerebrium.toml:2: a line longer than 16 KiB"),
        hostile("sluice.toml with as many pools as fit in 1 MiB", Reader.NODE,
            () -> "[[pools]]\n".repeat(ConfigText.MAX_BYTES / 10), "sluice.toml: pools: " + tooManyValues),
        hostile("sluice.toml over 1 MiB", Reader.NODE,
            () -> "[[pools]]\nname = \"cpu\"\nmax_nodes = 1\n" + "# comment\n".repeat(ConfigText.MAX_BYTES / 10),
            "sluice.toml: " + tooLarge),
        hostile("yaml flow lists nested 100000 deep on one line", Reader.TRUSS,
            () -> "deep: " + "[".repeat(DEEP) + "]".repeat(DEEP) + "\n", "config.yaml" + lineTooLong),
        hostile("yaml flow lists nested 100000 deep, a bracket a line", Reader.TRUSS,
            () -> "deep: " + "[\n".repeat(DEEP) + "]\n".repeat(DEEP), "config.yaml:50: deep: " + listsTooDeep),
        hostile("yaml flow maps nested 100000 deep, a map a line", Reader.TRUSS,
            () -> "a: " + "{a:\n".repeat(DEEP) + "1" + "}\n".repeat(DEEP),
            "config.yaml:50: " + "a.".repeat(49) + "a: " + listsTooDeep),
        hostile("yaml block lists nested as deep as a line allows", Reader.TRUSS,
            () -> "deep:\n  " + "- ".repeat(8000) + "x\n", "config.yaml:2: deep: " + listsTooDeep),
        hostile("yaml with as many keys as fit in 1 MiB", Reader.TRUSS,
            () -> keys(": 1\n", ConfigText.MAX_BYTES), "config.yaml:100000: ", tooManyValues),
        hostile("yaml with a million keys", Reader.TRUSS,
            () -> keys(": 1\n", 10 * ConfigText.MAX_BYTES), "config.yaml: " + tooLarge),
        hostile("yaml line of a million characters", Reader.TRUSS,
            () -> TRUSS_SERVER + "k".repeat(1_000_000) + ": 1\n", "config.yaml:5: a line longer than 16 KiB"),
        // A million digits in a double-quoted string continued over lines with '\': new BigDecimal(text) took 20 s.
        hostile("yaml memory of a million digits over escaped line breaks", Reader.TRUSS,
            () -> TRUSS_SERVER + "resources:\n  memory: \"" + ("9".repeat(16_000) + "\\\n    ").repeat(62) + "9Gi\"\n",
            "config.yaml:6: resources.memory = \"999", "...: not a memory quantity (expected: a memory quantity"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostileFiles")
  void hostile_file_is_refused_quickly_naming_the_file_the_problem_and_the_fix(Hostile row) throws IOException {
    Path file = Files.createDirectories(tmp.resolve("app")).resolve(row.reader().fileName);
    Files.writeString(file, row.text().get());

    long allocated = assertTimeoutPreemptively(WITHIN, () -> {
      long before = allocatedBytes();
      assertThatThrownBy(() -> row.reader().read(file))
          .isInstanceOf(ConfigException.class)
          .hasMessageContainingAll(row.messageParts().toArray(String[]::new))
          .satisfies(e -> assertThat(e.getMessage().lines()).allMatch(line -> line.startsWith(file + ":")));
      return allocatedBytes() - before;
    }, row::name);

    assertThat(allocated).as("bytes allocated reading " + row.name()).isLessThan(MAX_ALLOCATED_BYTES);
  }

  @Test
  void line_of_16_kib_is_read_and_a_line_one_character_longer_is_refused() throws Exception {
    String pool = "[[pools]]\nname = \"cpu\"\nmax_nodes = 1\n";
    String longestComment = "#".repeat(ConfigText.MAX_LINE_LENGTH);
    Path file = Path.of("sluice.toml");

    assertThat(NodeConfigReader.parse(pool + longestComment + "\r\n", file)).hasSize(1);
    assertThatThrownBy(() -> NodeConfigReader.parse(pool + longestComment + "#\n", file))
        .isInstanceOf(ConfigException.class)
        .hasMessage("sluice.toml:4: a line longer than 16 KiB; refused before parsing (expected: lines of at most"
            + " 16 KiB = 16384 characters; write a long value over several lines)");
  }

  @Test
  void endless_file_is_refused_after_reading_one_mebibyte() {
    Path endless = Path.of("/dev/zero");
    assumeThat(Files.isReadable(endless)).as("a readable /dev/zero").isTrue();

    assertTimeoutPreemptively(WITHIN, () -> assertThatThrownBy(() -> NodeConfigReader.read(endless))
        .isInstanceOf(ConfigException.class)
        .hasMessage("/dev/zero: is larger than 1 MiB; refused before parsing"
            + " (expected: a config file of at most 1 MiB = 1048576 bytes)"));
  }

  /** {@code k0 = 1}, {@code k1 = 1}... up to {@code size} bytes. */
  private static String keys(String separatorAndValue, int size) {
    StringBuilder text = new StringBuilder(size + 64);
    for (int i = 0; text.length() < size - 32; i++) {
      text.append('k').append(Integer.toString(i, 36)).append(separatorAndValue);
    }
    return text.toString();
  }

  // Allocation, not the heap in use, so that garbage counts too and no GC timing makes the test flaky.
  private static long allocatedBytes() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
  }
}

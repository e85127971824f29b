package io.sluice.dataplane.support;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A Prometheus text-format scrape, read back into samples: enough to check what a node exports. */
public final class Scrape {

  private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)})?\\s+(\\S+)(?:\\s+\\d+)?");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

  private final String text;
  private final List<Sample> samples = new ArrayList<>();

  private Scrape(String text) {
    this.text = text;
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher sample = SAMPLE.matcher(line.trim());
      if (!sample.matches()) {
        throw new IllegalArgumentException("not a sample line: " + line);
      }
      Map<String, String> labels = new LinkedHashMap<>();
      if (sample.group(2) != null) {
        Matcher label = LABEL.matcher(sample.group(2));
        while (label.find()) {
          labels.put(label.group(1), label.group(2));
        }
      }
      samples.add(new Sample(sample.group(1), labels, Double.parseDouble(sample.group(3))));
    }
  }

  public static Scrape of(String text) {
    return new Scrape(text);
  }

  /** The value of the one sample of that name whose labels include the given {@code name, value} pairs, if any. */
  public OptionalDouble value(String name, String... labels) {
    List<Sample> found = matching(name, labels);
    if (found.size() > 1) {
      throw new IllegalArgumentException(found.size() + " samples match " + name + " " + List.of(labels) + ": "
          + found);
    }
    return found.isEmpty() ? OptionalDouble.empty() : OptionalDouble.of(found.get(0).value());
  }

  /** Every sample of that name whose labels include the given pairs. */
  public List<Sample> matching(String name, String... labels) {
    List<Sample> found = new ArrayList<>();
    for (Sample sample : samples) {
      if (sample.name().equals(name) && sample.has(labels)) {
        found.add(sample);
      }
    }
    return found;
  }

  /** Every sample, of any name, whose labels include the given pairs. */
  public List<Sample> labelled(String... labels) {
    return samples.stream().filter(sample -> sample.has(labels)).toList();
  }

  public boolean hasMetricStartingWith(String prefix) {
    return samples.stream().anyMatch(sample -> sample.name().startsWith(prefix));
  }

  public String text() {
    return text;
  }

  public record Sample(String name, Map<String, String> labels, double value) {
    boolean has(String... pairs) {
      if (pairs.length % 2 != 0) {
        throw new IllegalArgumentException("labels come in name, value pairs: " + List.of(pairs));
      }
      for (int i = 0; i < pairs.length; i += 2) {
        if (!pairs[i + 1].equals(labels.get(pairs[i]))) {
          return false;
        }
      }
      return true;
    }
  }
}

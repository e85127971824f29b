package io.sluice.autoscaler.simulate;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Draws the runs as one SVG chart: ready replicas over time, one line per policy (summed over apps), over the request
 * rate of the replayed trace as a grey area on its own axis. Hand-written SVG: a CLI artifact needs no plotting
 * library. The trace's attribution, service-time model and replay notes are printed under the chart.
 */
public final class ReplicaChartSvg {

  private static final int WIDTH = 1000;
  private static final int LEFT = 70;
  private static final int RIGHT = 930;
  private static final int TOP = 60;
  private static final int BOTTOM = 360;
  private static final int RATE_BINS = 200;
  private static final int TEXT_WIDTH = 150;

  private ReplicaChartSvg() {}

  public static void write(Path file, Trace trace, List<SimulationResult> results) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(file, render(trace, results), StandardCharsets.UTF_8);
  }

  static String render(Trace trace, List<SimulationResult> results) {
    // The time axis covers the trace and the autoscaling policies' runs; a baseline that takes far longer to work off
    // its queue (min) is cut at the edge rather than squeezing everything else.
    boolean anyAutoscaled = results.stream().anyMatch(ReplicaChartSvg::autoscaled);
    double endSeconds = Math.max(1, trace.span().toNanos() / 1e9);
    for (SimulationResult result : results) {
      if (autoscaled(result) || !anyAutoscaled) {
        endSeconds = Math.max(endSeconds, result.endSeconds());
      }
    }
    int plotWidth = RIGHT - LEFT;

    List<double[]> readyPerPolicy = new ArrayList<>();
    double maxReady = 1;
    for (SimulationResult result : results) {
      double[] bins = readyBins(result.timeline(), endSeconds, plotWidth);
      readyPerPolicy.add(bins);
      for (double value : bins) {
        if (!Double.isNaN(value)) {
          maxReady = Math.max(maxReady, value);
        }
      }
    }
    double readyTop = niceCeiling(maxReady);

    double binSeconds = endSeconds / RATE_BINS;
    double[] rate = new double[RATE_BINS];
    for (int i = 0; i < trace.size(); i++) {
      int bin = (int) Math.min(RATE_BINS - 1, trace.arrivalNanos(i) / 1e9 / binSeconds);
      rate[bin] += 1 / binSeconds;
    }
    double maxRate = 0;
    for (double value : rate) {
      maxRate = Math.max(maxRate, value);
    }
    double rateTop = niceCeiling(Math.max(maxRate, 0.001));

    List<String> notes = new ArrayList<>();
    trace.serviceModel().ifPresent(model -> notes.add("Service time = " + model.formula() + " (" + model.name()
        + "); source: " + model.source()));
    trace.notes().forEach(note -> notes.add("Replay: " + note));
    trace.attribution().ifPresent(notes::add);
    List<String> lines = new ArrayList<>();
    for (String note : notes) {
      lines.addAll(wrap(note, TEXT_WIDTH));
    }
    int height = BOTTOM + 80 + 16 * lines.size();

    StringBuilder svg = new StringBuilder();
    svg.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
        + "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, height, WIDTH, height));
    svg.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", WIDTH, height));
    text(svg, LEFT, 24, 15, "start", "Ready replicas per policy, and the request rate");
    text(svg, LEFT, 42, 11, "start", "sluice simulate: " + trace.source() + " (" + trace.format().cliName() + "), "
        + String.format(Locale.ROOT, "%,d", trace.size()) + " requests");

    // The request rate, as a grey step area on the right axis.
    StringBuilder area = new StringBuilder();
    area.append(String.format(Locale.ROOT, "M%.1f,%d", x(0, endSeconds), BOTTOM));
    for (int i = 0; i < RATE_BINS; i++) {
      double y = BOTTOM - rate[i] / rateTop * (BOTTOM - TOP);
      area.append(String.format(Locale.ROOT, " L%.1f,%.1f L%.1f,%.1f", x(i * binSeconds, endSeconds), y,
          x((i + 1) * binSeconds, endSeconds), y));
    }
    area.append(String.format(Locale.ROOT, " L%.1f,%d Z", x(RATE_BINS * binSeconds, endSeconds), BOTTOM));
    svg.append("<path d=\"").append(area).append("\" fill=\"#e3e3e3\" stroke=\"none\"/>\n");

    // Axes and grid.
    for (int i = 0; i <= 5; i++) {
      double y = BOTTOM - i * (BOTTOM - TOP) / 5.0;
      svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#f0f0f0\"/>%n",
          LEFT, y, RIGHT, y));
      text(svg, LEFT - 6, y + 4, 11, "end", number(readyTop * i / 5));
      text(svg, RIGHT + 6, y + 4, 11, "start", number(rateTop * i / 5));
    }
    double minutes = endSeconds / 60;
    double step = niceStep(minutes / 8);
    for (double m = 0; m <= minutes + 1e-9; m += step) {
      double x = x(m * 60, endSeconds);
      svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999\"/>%n",
          x, BOTTOM, x, BOTTOM + 4));
      text(svg, x, BOTTOM + 18, 11, "middle", number(m));
    }
    svg.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
        + "stroke=\"#999\"/>%n", LEFT, TOP, plotWidth, BOTTOM - TOP));
    text(svg, (LEFT + RIGHT) / 2.0, BOTTOM + 34, 11, "middle", "minutes since the trace's start");
    svg.append(String.format(Locale.ROOT, "<text x=\"18\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\" "
        + "transform=\"rotate(-90 18 %d)\">ready replicas</text>%n", (TOP + BOTTOM) / 2, (TOP + BOTTOM) / 2));
    svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\" "
        + "fill=\"#888\" transform=\"rotate(90 %d %d)\">requests per second (grey)</text>%n", WIDTH - 16,
        (TOP + BOTTOM) / 2, WIDTH - 16, (TOP + BOTTOM) / 2));

    // One line per policy.
    for (int p = 0; p < results.size(); p++) {
      SimulationResult result = results.get(p);
      double[] bins = readyPerPolicy.get(p);
      StringBuilder path = new StringBuilder();
      double previous = Double.NaN;
      int columns = 0;
      while (columns < bins.length && !Double.isNaN(bins[columns])) {
        columns++;
      }
      for (int i = 0; i < columns; i++) {
        double y = BOTTOM - bins[i] / readyTop * (BOTTOM - TOP);
        if (i == 0) {
          path.append(String.format(Locale.ROOT, "M%d,%.1f", LEFT, y));
        } else if (y != previous) {
          path.append(String.format(Locale.ROOT, " H%d V%.1f", LEFT + i, y));
        }
        previous = y;
      }
      path.append(String.format(Locale.ROOT, " H%d", LEFT + columns));
      svg.append("<path d=\"").append(path).append("\" fill=\"none\" stroke=\"").append(color(result.policy()))
          .append("\" stroke-width=\"1.6\"").append(dashed(result.policy()) ? " stroke-dasharray=\"5 3\"" : "")
          .append("/>\n");
      double legendX = LEFT + 10 + p * 150;
      svg.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\" "
          + "stroke-width=\"2\"%s/>%n", legendX, BOTTOM + 52, legendX + 24, BOTTOM + 52, color(result.policy()),
          dashed(result.policy()) ? " stroke-dasharray=\"5 3\"" : ""));
      text(svg, legendX + 30, BOTTOM + 56, 12, "start", result.policy().cliName());
    }

    int y = BOTTOM + 80;
    for (String line : lines) {
      text(svg, LEFT - 50, y, 10, "start", line);
      y += 16;
    }
    svg.append("</svg>\n");
    return svg.toString();
  }

  private static boolean autoscaled(SimulationResult result) {
    return result.policy() == SimulatedPolicy.KNATIVE || result.policy() == SimulatedPolicy.SLUICE;
  }

  /** The most replicas ready (summed over apps) in each pixel column's stretch of time. */
  private static double[] readyBins(Timeline timeline, double endSeconds, int columns) {
    double[] bins = new double[columns];
    int row = 0;
    while (row < timeline.size()) {
      long at = timeline.nanos(row);
      int sum = 0;
      while (row < timeline.size() && timeline.nanos(row) == at) {
        sum += timeline.ready(row);
        row++;
      }
      if (at / 1e9 <= endSeconds) {
        int column = (int) Math.min(columns - 1, at / 1e9 / endSeconds * columns);
        bins[column] = Math.max(bins[column], sum);
      }
    }
    // A column with no tick in it (a chart wider than the ticks are dense) carries the previous value; columns after
    // the run's last tick are not drawn (NaN).
    boolean[] seen = new boolean[columns];
    int last = -1;
    for (row = 0; row < timeline.size() && timeline.nanos(row) / 1e9 <= endSeconds; row++) {
      int column = (int) Math.min(columns - 1, timeline.nanos(row) / 1e9 / endSeconds * columns);
      seen[column] = true;
      last = Math.max(last, column);
    }
    for (int c = 1; c <= last; c++) {
      if (!seen[c]) {
        bins[c] = bins[c - 1];
      }
    }
    for (int c = last + 1; c < columns; c++) {
      bins[c] = Double.NaN;
    }
    return bins;
  }

  private static double x(double seconds, double endSeconds) {
    return LEFT + seconds / endSeconds * (RIGHT - LEFT);
  }

  private static String color(SimulatedPolicy policy) {
    return switch (policy) {
      case KNATIVE -> "#d62728";
      case SLUICE -> "#1f77b4";
      case MAX -> "#555555";
      case MIN -> "#2ca02c";
    };
  }

  private static boolean dashed(SimulatedPolicy policy) {
    return policy == SimulatedPolicy.MAX || policy == SimulatedPolicy.MIN;
  }

  private static void text(StringBuilder svg, double x, double y, int size, String anchor, String content) {
    svg.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\" text-anchor=\"%s\">%s</text>%n",
        x, y, size, anchor, escape(content)));
  }

  static String escape(String text) {
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '"' -> out.append("&quot;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }

  private static List<String> wrap(String text, int width) {
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (String word : text.split(" ")) {
      if (line.length() > 0 && line.length() + 1 + word.length() > width) {
        lines.add(line.toString());
        line.setLength(0);
        line.append("  ");
      }
      if (line.length() > 0 && !line.toString().isBlank()) {
        line.append(' ');
      }
      line.append(word);
    }
    if (!line.toString().isBlank()) {
      lines.add(line.toString());
    }
    return lines;
  }

  /** 1, 2 or 5 times a power of ten, at least {@code value}. */
  private static double niceCeiling(double value) {
    double power = Math.pow(10, Math.floor(Math.log10(value)));
    for (double factor : new double[] {1, 2, 5, 10}) {
      if (factor * power >= value) {
        return factor * power;
      }
    }
    return 10 * power;
  }

  private static double niceStep(double value) {
    return niceCeiling(Math.max(value, 1e-3));
  }

  private static String number(double value) {
    if (value == Math.rint(value)) {
      return Long.toString((long) value);
    }
    return String.format(Locale.ROOT, value < 1 ? "%.3f" : "%.1f", value);
  }
}

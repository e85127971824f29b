package io.sluice.autoscaler.simulate;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Writes the runs' timelines as one CSV: {@code time_seconds,policy,app,desired,ready,pending,queue,in_flight}, a row
 * per app per recorded tick per policy. Lines starting with {@code #} at the top say where the data comes from and
 * what was done to it (read them with e.g. pandas' {@code comment='#'}); a result derived from a public data set keeps
 * its attribution.
 */
public final class TimelineCsv {

  public static final String HEADER = "time_seconds,policy,app,desired,ready,pending,queue,in_flight";

  private TimelineCsv() {}

  public static void write(Path file, Trace trace, List<SimulationResult> results) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      out.write("# sluice simulate timeline of " + trace.source() + " (" + trace.format().cliName() + ")\n");
      if (trace.attribution().isPresent()) {
        out.write("# " + trace.attribution().get() + "\n");
      }
      if (trace.serviceModel().isPresent()) {
        out.write("# service time = " + trace.serviceModel().get().formula() + "; source: "
            + trace.serviceModel().get().source() + "\n");
      }
      for (String note : trace.notes()) {
        out.write("# " + note + "\n");
      }
      out.write(HEADER);
      out.write('\n');
      StringBuilder line = new StringBuilder(64);
      for (SimulationResult result : results) {
        Timeline timeline = result.timeline();
        String policy = result.policy().cliName();
        for (int row = 0; row < timeline.size(); row++) {
          line.setLength(0);
          line.append(seconds(timeline.nanos(row))).append(',').append(policy).append(',')
              .append(timeline.apps().get(timeline.app(row))).append(',').append(timeline.desired(row)).append(',')
              .append(timeline.ready(row)).append(',').append(timeline.pending(row)).append(',')
              .append(timeline.queue(row)).append(',').append(timeline.inFlight(row)).append('\n');
          out.write(line.toString());
        }
      }
    }
  }

  private static String seconds(long nanos) {
    return nanos % 1_000_000_000L == 0 ? Long.toString(nanos / 1_000_000_000L)
        : String.format(Locale.ROOT, "%.3f", nanos / 1e9);
  }
}

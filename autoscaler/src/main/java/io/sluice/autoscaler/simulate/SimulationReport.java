package io.sluice.autoscaler.simulate;

import io.sluice.autoscaler.decision.DeciderSpec;
import io.sluice.config.AppSpec;
import io.sluice.config.HardwareSpec;
import io.sluice.config.ScalingSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.ToDoubleFunction;

/**
 * The text {@code sluice simulate} prints: what was replayed and how (the trace, its attribution, the service-time
 * model and every change made to the recorded data), the setup, and the policies side by side, with Sluice over
 * Knative.
 */
public final class SimulationReport {

  private SimulationReport() {}

  /** A row of the table: a label and how to read the value off a result. */
  private record Row(String label, ToDoubleFunction<SimulationResult> value, boolean integer) {}

  public static String render(Trace trace, SimulationSetup setup, List<SimulationResult> results) {
    StringBuilder out = new StringBuilder();
    line(out, "sluice simulate: a replay of %s (%s) through Sluice's decision core and capacity model", trace.source(),
        trace.format().cliName());
    line(out, "Trace: %,d requests to %d app(s) over %s, from %s; the app(s) are deployed then, with no node up",
        trace.size(), trace.appLabels().size(), duration(trace.span()), trace.format().wallClock()
            ? trace.start().toString() : trace.start().getEpochSecond() + " s on the trace's own time line");
    trace.attribution().ifPresent(text -> line(out, "%s", text));
    trace.serviceModel().ifPresent(model -> serviceModel(out, trace, setup.app(), model));
    if (trace.notes().isEmpty()) {
      line(out, "Replay: as recorded (no time compression, no shift, no split)");
    } else {
      line(out, "Replay notes:");
      trace.notes().forEach(note -> line(out, "  - %s", note));
    }
    app(out, setup);
    if (trace.appLabels().size() > 1) {
      line(out, "  deployed once per trace app (%d apps), each under its own name, all sharing the pools",
          trace.appLabels().size());
    }
    line(out, "Pools: %s", setup.poolsSource());
    line(out, "Policies: %s", String.join("; ", results.stream()
        .map(result -> result.policy().cliName() + " = " + result.policy().description()).toList()));
    line(out, "Decider: every %s per app, on 1 s buckets of time-weighted concurrency counted from arrival (held "
        + "requests included); a request held at zero pokes its decider at once", duration(setup.tick()));
    out.append('\n');
    table(out, results);
    out.append('\n');
    boolean gpu = results.stream().allMatch(SimulationResult::gpuUnits);
    line(out, "%s: replica lifetime from being started on a node (start-up included) until stopped, x %s.",
        gpu ? "GPU-seconds (replicas)" : "Replica-seconds", gpu ? "GPUs per replica" : "1 (CPU app)");
    line(out, "%s: node lifetime from being asked for until released (provisioning and idle included), x %s.",
        gpu ? "GPU-seconds (nodes)" : "Node-seconds", gpu ? "GPUs per node" : "1");
    line(out, "Waits: from arrival to getting a replica slot, over all requests. Cold-start waits: held, then served "
        + "by a replica that became ready after the request arrived.");
    line(out, "Each run ends once every request is served, the app is back at its floor and no node is idle, or %s "
        + "after the last arrival or response.", duration(setup.tail()));
    for (SimulationResult result : results) {
      if (result.unserved() > 0) {
        line(out, "WARNING: %s left %,d request(s) unserved when the run ended: the pools could not host enough "
            + "replicas; their waits count until the end.", result.policy().cliName(), result.unserved());
      }
    }
    return out.toString();
  }

  private static void serviceModel(StringBuilder out, Trace trace, AppSpec app, ServiceTimeModel model) {
    line(out, "Service time = %s (%s)", model.formula(), model.name());
    line(out, "  source: %s", model.source());
    long[] services = new long[trace.size()];
    double sum = 0;
    for (int i = 0; i < services.length; i++) {
      services[i] = trace.serviceNanos(i);
      sum += services[i];
    }
    Arrays.sort(services);
    line(out, "  over this trace: mean %.2f s, p50 %.2f s, p99 %.2f s, max %.2f s", sum / services.length / 1e9,
        Simulator.percentile(services, 0.5), Simulator.percentile(services, 0.99),
        services[services.length - 1] / 1e9);
    HardwareSpec hardware = app.hardware();
    if (model.measuredOn().isPresent() && !model.measuredOn().equals(hardware.gpu())) {
      line(out, "  measured on %s; the simulated replicas are counted on the app's own hardware (%s), which may serve "
          + "faster or slower", model.measuredOn().get(), hardware(hardware));
    }
  }

  private static void app(StringBuilder out, SimulationSetup setup) {
    AppSpec app = setup.app();
    ScalingSpec scaling = app.scaling();
    DeciderSpec spec = DeciderSpec.from(scaling, setup.startup());
    line(out, "App: %s, %s per replica; %s", app.id(), hardware(app.hardware()), setup.appSource());
    line(out, "  min %d, max %d, replica_concurrency %d, %s target %s per replica (%s %%), stable window %s, "
            + "scale-down delay %s, scale-to-zero grace %s, buffer %d; replica start-up %s",
        scaling.minReplicas(), scaling.maxReplicas(), scaling.replicaConcurrency(), scaling.metric().configName(),
        number(spec.targetPerReplica()), number(scaling.targetUtilization() * 100), duration(spec.stableWindow()),
        duration(spec.scaleDownDelay()), duration(spec.scaleToZeroGracePeriod()), scaling.buffer(),
        duration(setup.startup()));
  }

  private static void table(StringBuilder out, List<SimulationResult> results) {
    boolean gpu = results.stream().allMatch(SimulationResult::gpuUnits);
    List<Row> rows = new ArrayList<>(List.of(
        new Row("requests", SimulationResult::requests, true),
        new Row("waited for a cold start", SimulationResult::coldStartWaits, true),
        new Row("waited at all (held)", SimulationResult::waited, true),
        new Row("wait p50 (s)", SimulationResult::waitP50Seconds, false),
        new Row("wait p99 (s)", SimulationResult::waitP99Seconds, false),
        new Row("wait max (s)", SimulationResult::waitMaxSeconds, false),
        new Row("wait mean (s)", SimulationResult::waitMeanSeconds, false),
        new Row(gpu ? "GPU-seconds (replicas)" : "replica-seconds", SimulationResult::replicaUnitSeconds, false),
        new Row(gpu ? "GPU-seconds (nodes)" : "node-seconds", SimulationResult::nodeUnitSeconds, false),
        new Row("peak replicas", SimulationResult::peakReplicas, true),
        new Row("scale-ups (replicas started)", SimulationResult::replicaStarts, true),
        new Row("run length (s)", SimulationResult::endSeconds, false)));
    if (results.stream().anyMatch(result -> result.unserved() > 0)) {
      rows.add(1, new Row("not served when the run ended", SimulationResult::unserved, true));
    }

    Optional<SimulationResult> knative = find(results, SimulatedPolicy.KNATIVE);
    Optional<SimulationResult> sluice = find(results, SimulatedPolicy.SLUICE);
    boolean ratio = knative.isPresent() && sluice.isPresent();
    List<String> header = new ArrayList<>();
    header.add("");
    List<SimulationResult> ordered = new ArrayList<>();
    knative.ifPresent(ordered::add);
    sluice.ifPresent(ordered::add);
    results.stream().filter(r -> r.policy() != SimulatedPolicy.KNATIVE && r.policy() != SimulatedPolicy.SLUICE)
        .forEach(ordered::add);
    for (int i = 0; i < ordered.size(); i++) {
      header.add(ordered.get(i).policy().cliName());
      if (ratio && i == 1) {
        header.add("sluice/knative");
      }
    }
    List<List<String>> cells = new ArrayList<>();
    cells.add(header);
    for (Row row : rows) {
      List<String> cellsOfRow = new ArrayList<>();
      cellsOfRow.add(row.label());
      for (int i = 0; i < ordered.size(); i++) {
        cellsOfRow.add(value(row.value().applyAsDouble(ordered.get(i)), row.integer()));
        if (ratio && i == 1) {
          cellsOfRow.add(ratio(row.value().applyAsDouble(sluice.get()), row.value().applyAsDouble(knative.get())));
        }
      }
      cells.add(cellsOfRow);
    }
    int columns = header.size();
    int[] widths = new int[columns];
    for (List<String> rowCells : cells) {
      for (int c = 0; c < columns; c++) {
        widths[c] = Math.max(widths[c], rowCells.get(c).length());
      }
    }
    for (List<String> rowCells : cells) {
      StringBuilder text = new StringBuilder();
      for (int c = 0; c < columns; c++) {
        String cell = rowCells.get(c);
        if (c == 0) {
          text.append(cell).append(" ".repeat(widths[c] - cell.length()));
        } else {
          text.append("  ").append(" ".repeat(widths[c] - cell.length())).append(cell);
        }
      }
      out.append(text.toString().stripTrailing()).append('\n');
    }
  }

  private static Optional<SimulationResult> find(List<SimulationResult> results, SimulatedPolicy policy) {
    return results.stream().filter(result -> result.policy() == policy).findFirst();
  }

  private static String value(double value, boolean integer) {
    return integer ? String.format(Locale.ROOT, "%,d", Math.round(value))
        : String.format(Locale.ROOT, value >= 1000 ? "%,.0f" : "%.3f", value);
  }

  private static String ratio(double sluice, double knative) {
    if (knative == 0) {
      return sluice == 0 ? "=" : "-";
    }
    return String.format(Locale.ROOT, "%.2f", sluice / knative);
  }

  static String hardware(HardwareSpec hardware) {
    return hardware.gpu().map(gpu -> hardware.gpuCount() + " x " + gpu).orElse("CPU")
        + ", " + number(hardware.cpu()) + " vCPU, " + number(hardware.memoryGb()) + " GB";
  }

  static String duration(Duration duration) {
    long seconds = duration.getSeconds();
    if (seconds < 120 && duration.getNano() != 0) {
      return String.format(Locale.ROOT, "%.3f s", duration.toNanos() / 1e9);
    }
    if (seconds < 120) {
      return seconds + " s";
    }
    if (seconds < 7200) {
      return String.format(Locale.ROOT, "%dm%02ds", seconds / 60, seconds % 60);
    }
    return String.format(Locale.ROOT, "%dh%02dm%02ds", seconds / 3600, seconds % 3600 / 60, seconds % 60);
  }

  private static String number(double value) {
    return value == Math.rint(value) ? Long.toString((long) value) : String.format(Locale.ROOT, "%.2f", value);
  }

  private static void line(StringBuilder out, String format, Object... args) {
    out.append(String.format(Locale.ROOT, format, args)).append('\n');
  }
}

import io.sluice.config.AppId;
import io.sluice.config.AppSpec;
import io.sluice.config.Command;
import io.sluice.config.ConfigFormat;
import io.sluice.config.HardwareSpec;
import io.sluice.config.RuntimeSpec;
import io.sluice.config.ScalingMetric;
import io.sluice.config.ScalingSpec;
import io.sluice.config.UpstreamProtocol;
import io.sluice.config.WebSocketSpec;
import io.sluice.dataplane.routing.AppDirectory;
import io.sluice.dataplane.routing.AppRoute;
import io.sluice.dataplane.routing.NodeDrain;
import io.sluice.dataplane.routing.RequestTarget;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * The cost of the routing decision (public URI to app and upstream URI, {@link AppDirectory#resolve}) with 10, 1,000
 * and 10,000 apps deployed, and with 10,000 deployed of which 10 get the traffic. Starting 10,000 replicas is out of reach on one machine, and the lookup does not look at
 * replicas, so the directory is filled with routes and timed alone, in one JVM, sizes interleaved batch by batch.
 *
 * <p>Each size looks up a fixed, shuffled sequence of URIs spread over all of its apps (a Cerebrium path with a query,
 * and a Truss {@code /predict} that maps onto its predict endpoint), so a bigger directory also pays its cache misses.
 * JMH-free on purpose (nothing to install): medians over interleaved batches after a warm-up. Run: {@code java -cp sluice.jar RoutingLookup.java [batches]}.
 */
public final class RoutingLookup {

  private static final int URIS = 1 << 16;
  private static final int LOOKUPS_PER_BATCH = 2_000_000;

  private static long sink;

  /** One configuration timed: a directory, and the URIs sent to it. */
  private record Variant(String label, int apps, AppDirectory directory, String[] uris) {}

  public static void main(String[] args) {
    int batches = args.length > 0 ? Integer.parseInt(args[0]) : 11;
    AppDirectory ten = filled(10);
    AppDirectory thousand = filled(1_000);
    AppDirectory tenThousand = filled(10_000);
    List<Variant> variants = List.of(
        new Variant("10 apps", 10, ten, uris(10, 10, new SplittableRandom(1))),
        new Variant("1,000 apps", 1_000, thousand, uris(1_000, 1_000, new SplittableRandom(2))),
        new Variant("10,000 apps", 10_000, tenThousand, uris(10_000, 10_000, new SplittableRandom(3))),
        // The same 10,000-app directory, asked for 10 of its apps only: if this costs what "10 apps" costs, the
        // lookup itself does not grow with the number of apps, and what "10,000 apps" adds is cache misses on a
        // working set spread over 10,000 routes.
        new Variant("10,000 apps, 10 hot", 10_000, tenThousand, uris(10_000, 10, new SplittableRandom(4))));
    for (Variant v : variants) {
      check(v.directory(), v.uris());
    }
    // Warm-up: every variant, long enough for C2 to compile resolve() and its callees.
    for (int w = 0; w < 5; w++) {
      for (Variant v : variants) {
        batch(v.directory(), v.uris());
      }
    }
    List<List<Double>> nanos = new ArrayList<>();
    for (int i = 0; i < variants.size(); i++) {
      nanos.add(new ArrayList<>());
    }
    for (int b = 0; b < batches; b++) {
      for (int i = 0; i < variants.size(); i++) {
        nanos.get(i).add(batch(variants.get(i).directory(), variants.get(i).uris()));
      }
    }
    double base = median(nanos.get(0));
    System.out.printf("Routing lookup (AppDirectory.resolve), median of %d interleaved batches of %,d lookups:%n",
        batches, LOOKUPS_PER_BATCH);
    for (int i = 0; i < variants.size(); i++) {
      List<Double> ns = nanos.get(i);
      double median = median(ns);
      System.out.printf("LOOKUP %-22s ns_per_lookup=%6.1f  min=%6.1f  max=%6.1f  ratio_to_10_apps=%.2f%n",
          variants.get(i).label(), median, ns.stream().mapToDouble(Double::doubleValue).min().orElse(0),
          ns.stream().mapToDouble(Double::doubleValue).max().orElse(0), median / base);
    }
    if (sink == 42) {
      System.out.println(); // reading the sink keeps the JIT from dropping the lookups
    }
  }

  /** Nanoseconds per lookup over one batch. */
  private static double batch(AppDirectory directory, String[] uris) {
    long acc = 0;
    long start = System.nanoTime();
    for (int i = 0; i < LOOKUPS_PER_BATCH; i++) {
      RequestTarget target = directory.resolve(uris[i & (URIS - 1)]);
      acc += target.upstreamUri().length();
    }
    long elapsed = System.nanoTime() - start;
    sink += acc;
    return (double) elapsed / LOOKUPS_PER_BATCH;
  }

  private static AppDirectory filled(int apps) {
    AppDirectory directory = new AppDirectory();
    NodeDrain drain = new NodeDrain();
    for (int i = 0; i < apps; i++) {
      directory.put(new AppRoute(spec(i), 1, 1000, drain));
    }
    return directory;
  }

  /** Even apps are Cerebrium, odd ones Truss; 100 apps per project, as a busy fleet might have. */
  private static AppSpec spec(int i) {
    boolean truss = i % 2 == 1;
    return new AppSpec(new AppId(project(i), app(i)), truss ? ConfigFormat.TRUSS_YAML : ConfigFormat.CEREBRIUM_TOML,
        new RuntimeSpec(new Command.Exec(List.of("server")), 8000, Optional.empty(), Optional.empty(),
            truss ? Optional.of("/v1/chat/completions") : Optional.empty(), UpstreamProtocol.HTTP1),
        new ScalingSpec(0, 1, 1, ScalingMetric.CONCURRENCY_UTILIZATION, 1, 1, 0, Duration.ofSeconds(60),
            Duration.ofSeconds(60), Duration.ofSeconds(60)),
        HardwareSpec.CPU_DEFAULT, Map.of(), List.of(), true, Duration.ofSeconds(30),
        WebSocketSpec.DEFAULTS);
  }

  private static String project(int i) {
    return "project-" + (i / 100);
  }

  private static String app(int i) {
    return "model-" + i;
  }

  /** URIs for the first {@code hot} of {@code apps} apps, spread evenly over the directory. */
  private static String[] uris(int apps, int hot, SplittableRandom random) {
    String[] uris = new String[URIS];
    int stride = apps / hot;
    for (int k = 0; k < URIS; k++) {
      int i = random.nextInt(hot) * stride;
      uris[k] = "/v4/" + project(i) + "/" + app(i) + (i % 2 == 1 ? "/predict" : "/run/generate?stream=false");
    }
    return uris;
  }

  /** Every URI must resolve: a benchmark of 404s would measure the wrong path. */
  private static void check(AppDirectory directory, String[] uris) {
    for (String uri : uris) {
      RequestTarget target = directory.resolve(uri);
      if (target.error() != null) {
        throw new IllegalStateException(uri + " did not resolve: " + target.error());
      }
    }
  }

  private static double median(List<Double> values) {
    double[] sorted = values.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}

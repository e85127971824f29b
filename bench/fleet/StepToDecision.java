import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How fast and how well a fleet decides: for a fleet of one node and one of three (each node its own JVM, started as a
 * user starts one), the time from a step in an app's load to the fleet's first scale-up decision, to every node's API
 * showing it, and to the replicas being ready; then the error of the merged concurrency the decider scales on, against
 * the concurrency the replicas themselves counted. Rounds of each fleet size are interleaved and medians taken, so the
 * one-node fleet is the baseline of the same run. Run with bench/fleet/run; traffic goes to 127.0.0.1 only.
 */
public final class StepToDecision {

  private static final String APP = "local/busy";
  private static final String TOKEN = "bench-fleet-" + UUID.randomUUID();
  private static final int WINDOW_SECONDS = 10;
  private static final int TARGET_PER_REPLICA = 2;
  private static final int LATENCY_MS = 300;
  private static final long POLL_MILLIS = 50;
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  record Options(int rounds, List<Integer> fleets, int highClients, int lowSeconds, int errorSamples, Path repo,
      Path jar, Path work) {

    static Options parse(String[] args) {
      int rounds = 3;
      List<Integer> fleets = List.of(1, 3);
      int clients = 12;
      int lowSeconds = 15;
      int samples = 6;
      Path repo = Path.of(".");
      Path work = null;
      for (int i = 0; i < args.length; i++) {
        String key = args[i];
        if (i + 1 == args.length) {
          throw new IllegalArgumentException(key + ": no value");
        }
        switch (key) {
          case "--rounds" -> rounds = positive("--rounds", args[++i]);
          case "--nodes" -> fleets = Arrays.stream(args[++i].split(","))
              .map(n -> positive("--nodes", n)).toList();
          case "--clients" -> clients = positive("--clients", args[++i]);
          case "--low-seconds" -> lowSeconds = positive("--low-seconds", args[++i]);
          case "--error-samples" -> samples = positive("--error-samples", args[++i]);
          case "--repo" -> repo = Path.of(args[++i]);
          case "--work" -> work = Path.of(args[++i]);
          default -> throw new IllegalArgumentException(key + ": unknown option (expected: --rounds N, "
              + "--nodes 1,3, --clients N, --low-seconds N, --error-samples N, --repo DIR, --work DIR)");
        }
      }
      if (lowSeconds <= WINDOW_SECONDS) {
        throw new IllegalArgumentException("--low-seconds: " + lowSeconds + " (expected: > " + WINDOW_SECONDS
            + ", the app's window, so that the window holds only the low load at the step)");
      }
      if (clients < fleets.stream().mapToInt(Integer::intValue).max().orElse(1)) {
        throw new IllegalArgumentException("--clients: " + clients + " (expected: at least one per node)");
      }
      repo = repo.toAbsolutePath().normalize();
      if (work == null) {
        try {
          work = Files.createTempDirectory("sluice-fleet-");
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      return new Options(rounds, fleets, clients, lowSeconds, samples, repo,
          repo.resolve("dataplane/target/sluice.jar"), work);
    }

    private static int positive(String key, String text) {
      int n = Integer.parseInt(text.trim());
      if (n < 1) {
        throw new IllegalArgumentException(key + ": " + n + " (expected: >= 1)");
      }
      return n;
    }
  }

  public static void main(String[] args) throws Exception {
    Options options = Options.parse(args);
    Path work = Files.createDirectories(options.work());
    Path apps = appsFolder(options.repo(), work);
    List<Fleet> running = new CopyOnWriteArrayList<>();
    // Ctrl-C or a TERM to this JVM: the nodes run in sessions of their own and would not hear of it.
    Runtime.getRuntime().addShutdownHook(new Thread(() -> running.forEach(Fleet::kill)));
    long started = System.nanoTime();
    String loadBefore = loadAverage();
    List<RoundResult> results = new ArrayList<>();
    System.out.printf("fleet benchmark: %d rounds of %s nodes, %d clients after the step; logs in %s%n%n",
        options.rounds(), options.fleets(), options.highClients(), work);
    for (int round = 1; round <= options.rounds(); round++) {
      // Interleaved, and the order flips every round, so that drift (a busier machine later on) hits both alike.
      List<Integer> order = new ArrayList<>(options.fleets());
      if (round % 2 == 0) {
        Collections.reverse(order);
      }
      for (int nodes : order) {
        Path dir = Files.createDirectories(work.resolve("round-" + round + "-" + nodes + "-nodes"));
        RoundResult result;
        try {
          result = new Round(options, round, nodes, apps, dir, running).run();
        } catch (Exception e) {
          result = RoundResult.failed(round, nodes, e.toString());
        }
        results.add(result);
        System.out.println(result.line());
      }
    }
    long seconds = (System.nanoTime() - started) / 1_000_000_000L;
    String report = report(options, results, seconds, loadBefore, work);
    System.out.println();
    System.out.println(report);
    Files.writeString(options.repo().resolve("bench/fleet/results.md"), report);
    System.out.println("written to bench/fleet/results.md; node logs in " + work);
    if (results.stream().allMatch(r -> r.error() != null)) {
      System.exit(1);
    }
  }

  /** The example server as a Truss app: 4 requests at most per replica, scaled at 2 per replica over 10 s. */
  private static Path appsFolder(Path repo, Path work) throws IOException {
    Path app = Files.createDirectories(work.resolve("apps/busy"));
    Files.copy(repo.resolve("examples/hello/main.py"), app.resolve("main.py"));
    Files.writeString(app.resolve("config.yaml"), """
        model_name: busy
        docker_server:
          start_command: python3 main.py --port 8000
          readiness_endpoint: /ready
          liveness_endpoint: /health
          predict_endpoint: /predict
          server_port: 8000
        environment_variables:
          WARMUP_SECONDS: "0"
        runtime:
          predict_concurrency: 4
        autoscaling_settings:
          min_replica: 1
          max_replica: 8
          concurrency_target: %d
          target_utilization_percentage: 100
          autoscaling_window: %d
        """.formatted(TARGET_PER_REPLICA, WINDOW_SECONDS));
    return app.getParent();
  }

  // --- One round: a fresh fleet, a low load, the step, the decision, the error ------------------------------------

  private static final class Round {

    private final Options options;
    private final int round;
    private final int nodeCount;
    private final Path apps;
    private final Path dir;
    private final List<Fleet> running;

    Round(Options options, int round, int nodeCount, Path apps, Path dir, List<Fleet> running) {
      this.options = options;
      this.round = round;
      this.nodeCount = nodeCount;
      this.apps = apps;
      this.dir = dir;
      this.running = running;
    }

    RoundResult run() throws Exception {
      Fleet fleet = new Fleet(options, dir);
      running.add(fleet);
      List<Load> loads = new ArrayList<>();
      List<Poller> pollers = new ArrayList<>();
      try {
        long bootStarted = System.nanoTime();
        fleet.start(nodeCount, apps);
        double bootSeconds = (System.nanoTime() - bootStarted) / 1e9;
        String apiKey = fleet.apiKey();
        for (Node node : fleet.nodes) {
          awaitTrue(Duration.ofSeconds(90), "the app ready on " + node, () -> {
            JsonObject m = node.metricsOrNull();
            return m != null && intOr(m.getJsonObject("replicas").getValue("ready"), 0) >= 1;
          });
        }

        // The low steady load, long enough that the window holds nothing else when the step comes.
        loads.add(Load.start(fleet.nodes.get(0), apiKey, 1, null));
        sleepSeconds(options.lowSeconds());
        for (Node node : fleet.nodes) {
          pollers.add(Poller.start(node));
        }
        sleepMillis(500);
        int before = pollers.get(0).latest().desired();
        if (before != 1) {
          throw new IllegalStateException("desired is " + before + " before the step (expected: 1 at the low load)");
        }

        // The step: the clients that make it up to highClients, spread evenly over the nodes, released together.
        CountDownLatch go = new CountDownLatch(1);
        int adding = options.highClients() - 1;
        for (int i = 0; i < nodeCount; i++) {
          int share = options.highClients() / nodeCount + (i < options.highClients() % nodeCount ? 1 : 0);
          int more = i == 0 ? share - 1 : share;
          adding -= more;
          loads.add(Load.start(fleet.nodes.get(i), apiKey, more, go));
        }
        if (adding != 0) {
          throw new IllegalStateException("clients not spread: " + adding + " left over");
        }
        sleepMillis(200); // every client thread parked on the latch
        long step = System.currentTimeMillis();
        go.countDown();

        awaitTrue(Duration.ofSeconds(30), "a decision with desired > 1",
            () -> pollers.stream().anyMatch(p -> p.first(o -> o.desired() > 1 && o.sent() >= step) != null));
        // Steady: every node sees every desired replica ready and nothing held, for a second in a row.
        long steadySince = awaitSteady(pollers, Duration.ofSeconds(90));
        Steady steady = sampleErrors(fleet, loads, pollers, steadySince);
        Observation last = pollers.get(0).latest();
        for (Poller poller : pollers) {
          poller.stop();
        }
        for (Load load : loads) {
          load.stop();
        }

        JsonObject decider = deciderRecords(fleet);
        int deciderIndex = -1;
        for (int i = 0; i < fleet.nodes.size(); i++) {
          if (fleet.nodes.get(i).id != null && fleet.nodes.get(i).id.equals(last.decider())) {
            deciderIndex = i;
          }
        }
        JsonObject firstAfter = firstDecision(decider, step, d -> true);
        JsonObject firstUp = firstDecision(decider, step, d -> d.getInteger("desired") > 1);
        String firstTick = firstAfter == null ? "?" : String.format(Locale.ROOT, "+%.2f s: %s",
            (Instant.parse(firstAfter.getString("at")).toEpochMilli() - step) / 1000.0, firstAfter.getString("reason"));

        // When each node's API first showed desired > 1; the decision's own time is its decided_at, which the
        // decider's record of it confirms.
        long visibleFirst = Long.MAX_VALUE;
        long visibleAll = 0;
        Observation firstSeen = null;
        for (Poller poller : pollers) {
          Observation seen = poller.first(o -> o.desired() > 1 && o.sent() >= step);
          if (seen == null) {
            visibleAll = Long.MAX_VALUE;
            continue;
          }
          if (seen.received() < visibleFirst) {
            visibleFirst = seen.received();
            firstSeen = seen;
          }
          visibleAll = Math.max(visibleAll, seen.received());
        }
        long decidedAt = firstUp != null ? Instant.parse(firstUp.getString("at")).toEpochMilli()
            : firstSeen.decidedAt();
        int finalDesired = last.desired();
        long ready = Long.MAX_VALUE;
        for (Poller poller : pollers) {
          Observation o = poller.first(x -> x.sent() >= step && x.ready() >= finalDesired);
          if (o != null) {
            ready = Math.min(ready, o.received());
          }
        }
        // When the decider node's merged load first wanted more than one replica (stable above the target), polled
        // every 50 ms: the data's own delay, apart from the wait for the decider's next 2 s tick.
        double crossed = Double.NaN;
        if (deciderIndex >= 0) {
          Observation o = pollers.get(deciderIndex).first(x -> x.sent() >= step && x.stable() > TARGET_PER_REPLICA);
          crossed = o == null ? Double.NaN : (o.received() - step) / 1000.0;
        }
        // The panic window's value as the nodes reported it after the step: the policy panics on it.
        double panicMax = pollers.stream().flatMap(p -> p.observations.stream()).filter(o -> o.sent() >= step)
            .mapToDouble(Observation::panic).filter(v -> !Double.isNaN(v)).max().orElse(Double.NaN);
        int errorsSeen = loads.stream().mapToInt(l -> l.errors.size()).sum();
        return new RoundResult(round, nodeCount, null, bootSeconds, crossed, (decidedAt - step) / 1000.0,
            (firstSeen.decidedAt() - step) / 1000.0, (visibleFirst - step) / 1000.0, (visibleAll - step) / 1000.0,
            (ready - step) / 1000.0, desiredPath(pollers.get(0), step), firstTick,
            firstUp == null ? "?" : firstUp.getString("reason"), deciderIndex, panicMax, steady,
            deciderTicks(decider, steady), errorsSeen);
      } finally {
        pollers.forEach(Poller::stop);
        loads.forEach(Load::stop);
        fleet.kill();
        running.remove(fleet);
      }
    }

    /** Every node's scaling state (kept in the round's folder); the decider's, with its decision records. */
    private JsonObject deciderRecords(Fleet fleet) throws Exception {
      JsonObject decider = null;
      for (Node node : fleet.nodes) {
        JsonObject scaling = node.json("/v1/apps/" + APP + "/scaling");
        Files.writeString(dir.resolve(node.name + "-scaling.json"), scaling.encodePrettily());
        if (scaling.getBoolean("decided_here", false)) {
          decider = scaling;
        }
      }
      return decider;
    }

    /** The decider's first decision record from the step on that passes the test, or null. */
    private static JsonObject firstDecision(JsonObject decider, long step, Predicate<JsonObject> test) {
      if (decider == null) {
        return null;
      }
      for (Object entry : decider.getJsonArray("decisions")) {
        JsonObject d = (JsonObject) entry;
        if (Instant.parse(d.getString("at")).toEpochMilli() >= step && test.test(d)) {
          return d;
        }
      }
      return null;
    }

    /**
     * What the decider itself scaled on in the steady span, every 2 s (its tick). Its decision records give the stable
     * value to one decimal and are kept only when something changed, so each holds until the next.
     */
    private static List<Double> deciderTicks(JsonObject decider, Steady steady) {
      List<Double> ticks = new ArrayList<>();
      if (decider == null) {
        return ticks;
      }
      Pattern stableIn = Pattern.compile("stable: ([0-9.]+) concurrency");
      NavigableMap<Long, Double> inForce = new TreeMap<>();
      for (Object entry : decider.getJsonArray("decisions")) {
        JsonObject d = (JsonObject) entry;
        Matcher m = stableIn.matcher(d.getString("reason"));
        if (m.find()) {
          inForce.put(Instant.parse(d.getString("at")).toEpochMilli(), Double.parseDouble(m.group(1)));
        }
      }
      for (long t = steady.from(); t <= steady.to(); t += 2000) {
        Map.Entry<Long, Double> held = inForce.floorEntry(t);
        if (held != null) {
          ticks.add(held.getValue());
        }
      }
      return ticks;
    }

    /** Waits until, on every node, every desired replica is ready and no request is held, for a second in a row. */
    private long awaitSteady(List<Poller> pollers, Duration atMost) throws InterruptedException {
      long deadline = System.nanoTime() + atMost.toNanos();
      long since = -1;
      while (System.nanoTime() < deadline) {
        boolean steady = true;
        for (Poller poller : pollers) {
          Observation o = poller.latest();
          steady &= o != null && o.desired() > 1 && o.ready() == o.desired() && o.queueDepth() == 0;
        }
        long now = System.currentTimeMillis();
        if (!steady) {
          since = -1;
        } else if (since < 0) {
          since = now;
        } else if (now - since >= 1000) {
          return since;
        }
        Thread.sleep(POLL_MILLIS);
      }
      throw new IllegalStateException("the fleet did not settle within " + atMost.toSeconds() + " s");
    }

    /**
     * The truth and what the nodes said, over a span of steady load. Every 2 s the replicas' own busy-seconds are
     * read; the truth is their growth over the span divided by its length (and, logged for each pair of readings a
     * window apart, over each window, to show it steady). Every node's merged stable concurrency, polled every 50 ms,
     * is compared with it once its window lies inside the span: every phase of the nodes' one-second publications is
     * then seen, where readings taken every 2 s would each time fall at the same point of the second. Beside it, to
     * tell a merging error from time spent outside the replicas: the same integral as the clients counted it, and the
     * mean of the in-flight counts the nodes published ({@code fleet.in_flight}, polled on the first node).
     */
    private Steady sampleErrors(Fleet fleet, List<Load> loads, List<Poller> pollers, long steadySince)
        throws Exception {
      record Busy(long at, Map<String, Double> busy, double clients) {}
      List<Busy> busy = new ArrayList<>();
      long firstFrom = steadySince + 2000; // held requests (counted by the nodes, not the replicas) are long gone
      long deadline = firstFrom + (WINDOW_SECONDS + 4L + 3L * options.errorSamples()) * 1000;
      sleepMillis(Math.max(0, firstFrom - System.currentTimeMillis()));
      int taken = 0;
      while (taken < options.errorSamples()) {
        if (System.currentTimeMillis() > deadline) {
          throw new IllegalStateException("only " + taken + " truth samples: the replicas kept changing");
        }
        long tick = System.currentTimeMillis();
        Map<String, Double> now = replicaBusy(fleet.nodes.get(0));
        double clientsNow = loads.stream().mapToDouble(Load::busySeconds).sum();
        long at = System.currentTimeMillis();
        busy.add(new Busy(at, now, clientsNow));
        Busy from = null;
        for (Busy earlier : busy) {
          if (at - earlier.at() >= WINDOW_SECONDS * 1000L) {
            from = earlier;
          }
        }
        if (from != null && from.busy().keySet().equals(now.keySet())) {
          taken++;
          double seconds = (at - from.at()) / 1000.0;
          Files.writeString(dir.resolve("error-samples.txt"), String.format(Locale.ROOT,
              "%s: over %.1f s, %d replicas counted %.3f, clients %.3f%n", Instant.ofEpochMilli(at), seconds,
              now.size(), busyGrowth(from.busy(), now) / seconds, (clientsNow - from.clients()) / seconds),
              StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
        sleepMillis(Math.max(0, tick + 2000 - System.currentTimeMillis()));
      }
      Busy last = busy.get(busy.size() - 1);
      Busy first = busy.stream().filter(b -> b.busy().keySet().equals(last.busy().keySet())).findFirst()
          .orElseThrow();
      double seconds = (last.at() - first.at()) / 1000.0;
      double truth = busyGrowth(first.busy(), last.busy()) / seconds;
      double clients = (last.clients() - first.clients()) / seconds;
      long windowInside = first.at() + (WINDOW_SECONDS + 1) * 1000L;
      double inFlight = pollers.get(0).observations.stream()
          .filter(o -> o.sent() >= first.at() && o.received() <= last.at())
          .mapToInt(Observation::inFlight).average().orElse(Double.NaN);
      List<ErrorSample> readings = new ArrayList<>();
      for (Poller poller : pollers) {
        for (Observation o : poller.observations) {
          if (o.sent() >= windowInside && o.received() <= last.at() && !Double.isNaN(o.stable())) {
            readings.add(new ErrorSample(truth, o.stable(), o.nodesSum()));
          }
        }
      }
      Files.writeString(dir.resolve("error-samples.txt"), String.format(Locale.ROOT,
          "steady span %s to %s (%.1f s): replicas counted %.3f, clients %.3f, published in-flight mean %.3f; "
              + "%d merged readings from %s: median %.3f, min %.3f, max %.3f; nodes sum median %.3f%n",
          Instant.ofEpochMilli(first.at()), Instant.ofEpochMilli(last.at()), seconds, truth, clients, inFlight,
          readings.size(), Instant.ofEpochMilli(windowInside),
          median(readings.stream().map(ErrorSample::merged).toList()),
          readings.stream().mapToDouble(ErrorSample::merged).min().orElse(Double.NaN),
          readings.stream().mapToDouble(ErrorSample::merged).max().orElse(Double.NaN),
          median(readings.stream().map(ErrorSample::nodesSum).toList())),
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      return new Steady(windowInside, last.at(), truth, clients, inFlight, readings);
    }

    private static double busyGrowth(Map<String, Double> from, Map<String, Double> to) {
      double total = 0;
      for (Map.Entry<String, Double> e : to.entrySet()) {
        total += e.getValue() - from.get(e.getKey());
      }
      return total;
    }

    /** The ready replicas' busy_seconds, read from each replica's own /stats. */
    private static Map<String, Double> replicaBusy(Node node) throws Exception {
      JsonArray replicas = node.json("/v1/apps/" + APP).getJsonArray("replicas");
      Map<String, Double> busy = new HashMap<>();
      for (Object r : replicas) {
        JsonObject replica = (JsonObject) r;
        if ("ready".equals(replica.getString("state"))) {
          HttpResponse<String> stats = HTTP.send(HttpRequest.newBuilder(
                  URI.create("http://" + replica.getString("endpoint") + "/stats")).timeout(Duration.ofSeconds(5))
              .build(), HttpResponse.BodyHandlers.ofString());
          busy.put(replica.getString("name"), new JsonObject(stats.body()).getDouble("busy_seconds"));
        }
      }
      return busy;
    }

    /** The desired counts node 0 saw from the step on, e.g. "1→3→6". */
    private static String desiredPath(Poller poller, long step) {
      StringBuilder path = new StringBuilder();
      int last = -1;
      for (Observation o : poller.observations) {
        if (o.sent() >= step - 1000 && o.desired() != last) {
          path.append(last < 0 ? "" : "→").append(o.desired());
          last = o.desired();
        }
      }
      return path.toString();
    }
  }

  // --- The fleet's nodes, each a JVM of its own -------------------------------------------------------------------

  private static final class Fleet {

    private final Options options;
    private final Path dir;
    private final String name = "bench-" + UUID.randomUUID();
    final List<Node> nodes = new CopyOnWriteArrayList<>();

    Fleet(Options options, Path dir) {
      this.options = options;
      this.dir = dir;
    }

    /**
     * Starts the first node with the apps folder, then the others joining it. Deployed apps are fleet state, so the
     * others get the app from the fleet, as FleetProcessesTest's nodes do.
     */
    void start(int count, Path apps) throws Exception {
      nodes.add(Node.start(options, dir, 0, name, List.of(), apps));
      List<Integer> join = List.of(nodes.get(0).fleetPort);
      // The others start side by side: they only need the first to join.
      List<Thread> starters = new ArrayList<>();
      ConcurrentLinkedQueue<Exception> failures = new ConcurrentLinkedQueue<>();
      Node[] started = new Node[count];
      for (int i = 1; i < count; i++) {
        int n = i;
        Thread t = new Thread(() -> {
          try {
            started[n] = Node.start(options, dir, n, name, join, null);
          } catch (Exception e) {
            failures.add(e);
          }
        });
        t.start();
        starters.add(t);
      }
      for (Thread t : starters) {
        t.join();
      }
      for (int i = 1; i < count; i++) {
        if (started[i] != null) {
          nodes.add(started[i]);
        }
      }
      if (!failures.isEmpty()) {
        throw failures.peek();
      }
      for (Node node : nodes) {
        for (Object member : node.json("/v1/fleet").getJsonArray("members")) {
          if (((JsonObject) member).getBoolean("local", false)) {
            node.id = ((JsonObject) member).getString("id");
          }
        }
      }
    }

    String apiKey() throws Exception {
      Path file = nodes.get(0).stateDir.resolve("local-api-key");
      awaitTrue(Duration.ofSeconds(30), "the first node's API key", () -> Files.exists(file));
      return Files.readString(file).trim();
    }

    /** SIGKILL to every node's process group: the node and every replica it started. */
    void kill() {
      for (Node node : nodes) {
        node.kill();
      }
    }
  }

  private static final class Node {

    final String name;
    final Process process;
    final Path stateDir;
    final int publicPort;
    final int adminPort;
    final int fleetPort;
    String id;

    private Node(String name, Process process, Path stateDir, int publicPort, int adminPort, int fleetPort) {
      this.name = name;
      this.process = process;
      this.stateDir = stateDir;
      this.publicPort = publicPort;
      this.adminPort = adminPort;
      this.fleetPort = fleetPort;
    }

    /**
     * {@code sluice up} as a user runs it, in a session of its own ({@code setsid}), so that the node and the
     * replicas it starts make one process group that can be killed whole even after the node itself has died.
     */
    static Node start(Options options, Path dir, int n, String fleetName, List<Integer> join, Path apps)
        throws Exception {
      String name = "node-" + n;
      Path state = dir.resolve(name);
      int publicPort = freePort();
      int adminPort = freePort();
      int fleetPort = freePort();
      String java = ProcessHandle.current().info().command().orElse("java");
      List<String> command = new ArrayList<>(List.of("setsid", java,
          "@" + options.repo().resolve("bin/jvm.options"), "-jar", options.jar().toString(), "up",
          "--host", "127.0.0.1", "--port", String.valueOf(publicPort), "--admin-port", String.valueOf(adminPort),
          "--state", state.toString(), "--fleet-name", fleetName, "--fleet-port", String.valueOf(fleetPort),
          "--policy", "knative"));
      if (!join.isEmpty()) {
        command.add("--join");
        command.add(String.join(",", join.stream().map(p -> "127.0.0.1:" + p).toList()));
      }
      if (apps != null) {
        command.addAll(List.of("--apps", apps.toString()));
      }
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
          .redirectOutput(dir.resolve(name + ".log").toFile());
      builder.environment().put("SLUICE_ADMIN_TOKEN", TOKEN);
      builder.environment().remove("SLUICE_LOG_LEVEL");
      Node node = new Node(name, builder.start(), state, publicPort, adminPort, fleetPort);
      // For bench/fleet/run's trap, should this JVM die without its shutdown hook.
      Files.writeString(options.work().resolve("pids"), node.process.pid() + "\n", StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
      try {
        awaitTrue(Duration.ofSeconds(120), name + " ready", () -> {
          if (!node.process.isAlive()) {
            throw new IllegalStateException(name + " exited with " + node.process.exitValue() + "; see its log");
          }
          return node.get("/ready").statusCode() == 200;
        });
      } catch (Exception e) {
        node.kill();
        throw e;
      }
      return node;
    }

    String publicUrl() {
      return "http://127.0.0.1:" + publicPort;
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
      return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
          .header("Authorization", "Bearer " + TOKEN).timeout(Duration.ofSeconds(10)).build(),
          HttpResponse.BodyHandlers.ofString());
    }

    JsonObject json(String path) throws IOException, InterruptedException {
      HttpResponse<String> answer = get(path);
      if (answer.statusCode() != 200) {
        throw new IllegalStateException(name + " " + path + " answered " + answer.statusCode() + ": "
            + answer.body());
      }
      return new JsonObject(answer.body());
    }

    /** The app's metrics, or null when this node does not have the app yet or did not answer. */
    JsonObject metricsOrNull() {
      try {
        HttpResponse<String> answer = get("/v1/apps/" + APP + "/metrics");
        return answer.statusCode() == 200 ? new JsonObject(answer.body()) : null;
      } catch (Exception e) {
        return null;
      }
    }

    /**
     * SIGKILL to the node's process group while the node still leads it (so the group is surely ours); its
     * descendants as well, should {@code kill} fail. A group whose node died first is left to bench/fleet/run's trap.
     */
    void kill() {
      List<ProcessHandle> descendants = process.descendants().toList();
      if (process.isAlive()) {
        try {
          new ProcessBuilder("kill", "-KILL", "--", "-" + process.pid()).redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(5, TimeUnit.SECONDS);
        } catch (Exception e) {
          // The descendants below are the fallback.
        }
      }
      process.destroyForcibly();
      descendants.forEach(ProcessHandle::destroyForcibly);
      try {
        process.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public String toString() {
      return name;
    }

    private static int freePort() throws IOException {
      try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        return socket.getLocalPort();
      }
    }
  }

  // --- Load and observation ---------------------------------------------------------------------------------------

  /** Clients of one node, each sending its next request as soon as the last one is answered. */
  private static final class Load {

    final ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
    final AtomicInteger ok = new AtomicInteger();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicLong doneNanos = new AtomicLong();
    private final AtomicLongArray sentAt;

    private Load(int clients) {
      sentAt = new AtomicLongArray(clients);
    }

    /** The integral of this load's requests in flight over time, in seconds, as a replica's busy_seconds is. */
    double busySeconds() {
      long now = System.nanoTime();
      long busy = doneNanos.get();
      for (int i = 0; i < sentAt.length(); i++) {
        long sent = sentAt.get(i);
        busy += sent == 0 ? 0 : now - sent;
      }
      return busy / 1e9;
    }

    static Load start(Node node, String apiKey, int clients, CountDownLatch go) {
      Load load = new Load(clients);
      HttpRequest request = HttpRequest.newBuilder(URI.create(node.publicUrl() + "/v4/" + APP
              + "/predict?latency_ms=" + LATENCY_MS))
          .header("Authorization", "Bearer " + apiKey).timeout(Duration.ofSeconds(60)).build();
      for (int i = 0; i < clients; i++) {
        int slot = i;
        Thread thread = new Thread(() -> {
          HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(Duration.ofSeconds(5)).build();
          try {
            if (go != null) {
              go.await();
            }
          } catch (InterruptedException e) {
            return;
          }
          while (load.running.get()) {
            long sent = System.nanoTime();
            load.sentAt.set(slot, sent);
            try {
              HttpResponse<String> answer = http.send(request, HttpResponse.BodyHandlers.ofString());
              if (answer.statusCode() == 200) {
                load.ok.incrementAndGet();
              } else {
                load.errors.add(answer.statusCode() + " " + answer.body());
              }
            } catch (Exception e) {
              if (load.running.get()) {
                load.errors.add(e.toString());
              }
            } finally {
              load.sentAt.set(slot, 0);
              load.doneNanos.addAndGet(System.nanoTime() - sent);
            }
          }
        }, "load-" + node.name + "-" + i);
        thread.setDaemon(true);
        thread.start();
        load.threads.add(thread);
      }
      return load;
    }

    void stop() {
      if (!running.getAndSet(false)) {
        return;
      }
      for (Thread thread : threads) {
        try {
          thread.join(5_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /** What a node's metrics API said, and when (this machine's wall clock, as the nodes' decided_at). */
  record Observation(long sent, long received, int desired, long ready, long decidedAt, String decider,
      int queueDepth, double stable, double panic, int inFlight, double nodesSum) {}

  /** Polls one node's metrics API every 50 ms and keeps every answer. */
  private static final class Poller {

    final List<Observation> observations = new CopyOnWriteArrayList<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private Thread thread;

    static Poller start(Node node) {
      Poller poller = new Poller();
      poller.thread = new Thread(() -> {
        while (poller.running.get()) {
          long sent = System.currentTimeMillis();
          JsonObject m = node.metricsOrNull();
          long received = System.currentTimeMillis();
          if (m != null && m.getJsonObject("replicas").getInteger("desired") != null) {
            String decidedAt = m.getString("decided_at");
            poller.observations.add(new Observation(sent, received,
                m.getJsonObject("replicas").getInteger("desired"), intOr(m.getJsonObject("replicas")
                    .getValue("ready"), 0), decidedAt == null ? -1 : Instant.parse(decidedAt).toEpochMilli(),
                m.getString("decider"), intOr(m.getJsonObject("fleet").getValue("queue_depth"), 0),
                orNaN(m.getJsonObject("fleet").getJsonObject("concurrency").getValue("stable")),
                orNaN(m.getJsonObject("fleet").getJsonObject("concurrency").getValue("panic")),
                intOr(m.getJsonObject("fleet").getValue("in_flight"), 0), nodesSum(m)));
          }
          sleepMillis(Math.max(0, sent + POLL_MILLIS - System.currentTimeMillis()));
        }
      }, "poll-" + node.name);
      poller.thread.setDaemon(true);
      poller.thread.start();
      return poller;
    }

    Observation latest() {
      return observations.isEmpty() ? null : observations.get(observations.size() - 1);
    }

    Observation first(Predicate<Observation> test) {
      for (Observation o : observations) {
        if (test.test(o)) {
          return o;
        }
      }
      return null;
    }

    void stop() {
      running.set(false);
    }
  }

  // --- Results ----------------------------------------------------------------------------------------------------

  /** The merged stable concurrency a node reported against the truth, and the sum of the per-node figures. */
  /**
   * Steady load after the step: the truth the replicas counted, the clients' own count, the mean in-flight count the
   * nodes published, and every merged reading whose window lay inside the span ({@code from} to {@code to}).
   */
  record Steady(long from, long to, double truth, double clients, double inFlight, List<ErrorSample> readings) {}

  /** One node's merged stable concurrency against the truth, with the sum of its per-node figures. */
  record ErrorSample(double truth, double merged, double nodesSum) {

    double error() {
      return (merged - truth) / truth;
    }

    double nodesSumError() {
      return (nodesSum - truth) / truth;
    }
  }

  record RoundResult(int round, int nodes, String error, double bootSeconds, double crossed, double decision,
      double decidedAtSeen,
      double visibleFirst, double visibleAll, double ready, String desiredPath, String firstTick, String reason,
      int decider, double panicMax, Steady steady, List<Double> deciderTicks, int clientErrors) {

    static RoundResult failed(int round, int nodes, String error) {
      return new RoundResult(round, nodes, error, 0, 0, 0, 0, 0, 0, 0, "", "", "", -1, Double.NaN, null, List.of(),
          0);
    }

    List<Double> errors() {
      return steady.readings().stream().map(ErrorSample::error).toList();
    }

    /** The median of what the decider scaled on in the steady span, and its error against the truth. */
    String deciderTicksVsTruth() {
      if (deciderTicks.isEmpty()) {
        return "?";
      }
      double m = median(deciderTicks);
      return String.format(Locale.ROOT, "%.1f (%+.1f %%)", m, 100 * (m / steady.truth() - 1));
    }

    /** The percentage of merged readings more than 1 % below the sum of their per-node figures. */
    double deficitShare() {
      List<Double> deficits = mergeDeficits();
      return 100.0 * deficits.stream().filter(d -> d < -0.01).count() / Math.max(1, deficits.size());
    }

    /** How far below the sum of its per-node figures each merged reading was. */
    List<Double> mergeDeficits() {
      return steady.readings().stream().map(e -> e.merged() / e.nodesSum() - 1).toList();
    }

    String line() {
      if (error != null) {
        return String.format("round %d, %d node%s: FAILED: %s", round, nodes, nodes == 1 ? "" : "s", error);
      }
      return String.format(Locale.ROOT, "round %d, %d node%s: load seen +%.2f s, decision +%.2f s (desired %s, "
              + "decider node-%d, "
              + "scaling on %s at its ticks against %.2f counted), "
              + "visible +%.2f s first node / +%.2f s all, ready +%.2f s, merged concurrency error median %+.1f %% "
              + "max %+.1f %% (%d readings, %.0f %% of them > 1 %% below the nodes' sum), client errors %d",
          round, nodes, nodes == 1 ? "" : "s", crossed, decision, desiredPath, decider, deciderTicksVsTruth(),
          steady.truth(),
          visibleFirst, visibleAll, ready,
          100 * median(errors()), 100 * maxAbs(errors()), steady.readings().size(), deficitShare(), clientErrors);
    }
  }

  private static String report(Options options, List<RoundResult> results, long seconds, String loadBefore,
      Path work) {
    StringBuilder out = new StringBuilder();
    out.append("# Fleet decisions: step to decision, and the merged concurrency's error\n\n");
    out.append(String.format(Locale.ROOT, "`bench/fleet/run --rounds %d` on %s, %d cores, load average before: %s; "
            + "%d s in all (%d rounds of %s nodes, interleaved).%n%n",
        options.rounds(), Instant.now().toString().substring(0, 10), Runtime.getRuntime().availableProcessors(),
        loadBefore, seconds, options.rounds(), options.fleets()));
    out.append("""
        The app: the example server (`examples/hello/main.py`) as a Truss app, `predict_concurrency` 4,
        `concurrency_target` 2 at 100 %%, `autoscaling_window` 10 s (panic window 1 s), replicas 1 to 8, policy
        `knative`. Each round starts a fresh fleet (each node `java @bin/jvm.options -jar sluice.jar up` in its own
        JVM), runs 1 client
        looping `GET /v4/local/busy/predict?latency_ms=300` on the first node for %d s, then steps to %d clients
        spread evenly over the nodes. Times are from the step: to the decider node's merged stable concurrency (its
        metrics API, polled every 50 ms) first above the target of 2 per replica, i.e. the load seen, whatever the
        decider's 2 s tick; to the decider's first decision with desired > 1 (its `decided_at`); to the first and to
        the last node whose metrics API showed it; and to the first node showing every finally desired replica ready.
        The error is the merged `fleet.concurrency.stable` every node reported (each 50 ms poll whose window lay
        inside the span of steady load after the replicas were ready) against the truth the replicas counted over
        that span (`busy_seconds`, >= 20 s); "nodes sum" is the same for the sum of the per-node figures
        (`nodes[].concurrency.stable`).

        """.formatted(options.lowSeconds(), options.highClients()));
    out.append("| nodes | rounds ok | step→load seen | step→decision median | p90 | step→visible, first node "
        + "| all nodes | step→ready | conc. error median | max | nodes sum error median |\n");
    out.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    Map<Integer, double[]> medians = new HashMap<>();
    for (int nodes : options.fleets()) {
      List<RoundResult> ok = results.stream().filter(r -> r.nodes() == nodes && r.error() == null).toList();
      if (ok.isEmpty()) {
        out.append(String.format("| %d | 0 of %d | | | | | | | | | |%n", nodes, options.rounds()));
        continue;
      }
      List<Double> decision = ok.stream().map(RoundResult::decision).toList();
      List<Double> errors = ok.stream().flatMap(r -> r.errors().stream()).toList();
      List<Double> sums = ok.stream().flatMap(r -> r.steady().readings().stream().map(ErrorSample::nodesSumError))
          .toList();
      double[] m = {median(ok.stream().map(RoundResult::crossed).toList()), median(decision),
          percentile(decision, 0.9), median(ok.stream().map(RoundResult::visibleFirst).toList()),
          median(ok.stream().map(RoundResult::visibleAll).toList()),
          median(ok.stream().map(RoundResult::ready).toList()), median(errors), maxAbs(errors)};
      medians.put(nodes, m);
      out.append(String.format(Locale.ROOT, "| %d | %d of %d | %.2f s | %.2f s | %.2f s | %.2f s | %.2f s | %.2f s "
              + "| %+.1f %% | %+.1f %% | %+.1f %% |%n", nodes, ok.size(), options.rounds(), m[0], m[1], m[2], m[3],
          m[4], m[5], 100 * m[6], 100 * m[7], 100 * median(sums)));
    }
    List<Integer> fleets = options.fleets();
    int base = fleets.get(0);
    for (int nodes : fleets.subList(1, fleets.size())) {
      double[] a = medians.get(base);
      double[] b = medians.get(nodes);
      if (a != null && b != null) {
        out.append(String.format(Locale.ROOT, "| %d / %d | | %.2f× | %.2f× | %.2f× | %.2f× | %.2f× | %.2f× "
                + "| %+.1f pt | %+.1f pt | |%n", nodes, base, b[0] / a[0], b[1] / a[1], b[2] / a[2], b[3] / a[3],
            b[4] / a[4], b[5] / a[5], 100 * (b[6] - a[6]), 100 * (Math.abs(b[7]) - Math.abs(a[7]))));
      }
    }
    out.append("\nThe last row is the ratio of the figures to the one-node fleet's, measured in the same run (for the ")
        .append("errors, the difference in percentage points).\n\n");
    out.append("""
        ## Where the concurrency is

        Medians over the rounds, in requests in flight during the steady span: as the replicas counted them (the truth
        above), as the clients counted them (the same integral, taken in the benchmark), the mean of the in-flight
        counts the nodes published (`fleet.in_flight`, polled on the first node), the merged stable value (median and
        lowest of the readings), the sum of the per-node stable values, and what the decider scaled on at its own
        ticks (from its decision records, one decimal). Merged below the nodes' sum is a merging error; the nodes'
        figures above the replicas' is time spent in the nodes (proxy, hold) rather than in a replica. "Deficit" is
        the share of merged readings more than 1 % below their nodes' sum. The last column is the largest
        panic-window concurrency any node reported after the step.

        """);
    out.append("| nodes | replicas | clients | published in-flight | merged median | lowest | nodes sum "
        + "| decider's ticks | deficit | panic max |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for (int nodes : options.fleets()) {
      List<RoundResult> ok = results.stream().filter(r -> r.nodes() == nodes && r.error() == null).toList();
      if (ok.isEmpty()) {
        continue;
      }
      List<ErrorSample> readings = ok.stream().flatMap(r -> r.steady().readings().stream()).toList();
      List<Double> deficits = ok.stream().flatMap(r -> r.mergeDeficits().stream()).toList();
      out.append(String.format(Locale.ROOT, "| %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.1f | %.0f %% "
          + "| %.2f |%n", nodes, median(ok.stream().map(r -> r.steady().truth()).toList()),
          median(ok.stream().map(r -> r.steady().clients()).toList()),
          median(ok.stream().map(r -> r.steady().inFlight()).toList()),
          median(readings.stream().map(ErrorSample::merged).toList()),
          readings.stream().mapToDouble(ErrorSample::merged).min().orElse(Double.NaN),
          median(readings.stream().map(ErrorSample::nodesSum).toList()),
          median(ok.stream().flatMap(r -> r.deciderTicks().stream()).toList()),
          100.0 * deficits.stream().filter(d -> d < -0.01).count() / Math.max(1, deficits.size()),
          ok.stream().mapToDouble(RoundResult::panicMax).filter(v -> !Double.isNaN(v)).max().orElse(Double.NaN)));
    }
    out.append("\n## Rounds\n\n");
    out.append("| round | nodes | boot | load seen | decision | decided_at seen | visible first / all | ready "
        + "| desired | decider "
        + "| the decider's first decision after the step | its first scale-up | error median | max | deficit "
        + "| decider's ticks | client errors |\n");
    out.append("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- "
        + "| --- |\n");
    for (RoundResult r : results) {
      if (r.error() != null) {
        out.append(String.format("| %d | %d | failed: %s | | | | | | | | | | | | | | |%n", r.round(), r.nodes(),
            r.error().replace("|", "/")));
        continue;
      }
      out.append(String.format(Locale.ROOT, "| %d | %d | %.0f s | %.2f s | %.2f s | %.2f s | %.2f / %.2f s "
              + "| %.2f s | %s | node-%d | %s | %s | %+.1f %% | %+.1f %% | %.0f %% | %s | %d |%n", r.round(), r.nodes(),
          r.bootSeconds(), r.crossed(), r.decision(), r.decidedAtSeen(), r.visibleFirst(), r.visibleAll(), r.ready(),
          r.desiredPath(), r.decider(), r.firstTick().replace("|", "/"), r.reason().replace("|", "/"),
          100 * median(r.errors()), 100 * maxAbs(r.errors()), r.deficitShare(), r.deciderTicksVsTruth(),
          r.clientErrors()));
    }
    out.append("\nNode logs, the deciders' decision records and each error sample were in `").append(work)
        .append("`.\n");
    return out.toString();
  }

  private static String loadAverage() {
    try {
      return String.join(" ", List.of(Files.readString(Path.of("/proc/loadavg")).split(" ")).subList(0, 3));
    } catch (IOException e) {
      return "?";
    }
  }

  // --- Small things -----------------------------------------------------------------------------------------------

  interface Check {
    boolean ok() throws Exception;
  }

  private static void awaitTrue(Duration atMost, String what, Check check) throws Exception {
    long deadline = System.nanoTime() + atMost.toNanos();
    while (true) {
      try {
        if (check.ok()) {
          return;
        }
      } catch (IllegalStateException e) {
        throw e;
      } catch (Exception notYet) {
        // not up yet
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("waited " + atMost.toSeconds() + " s for " + what);
      }
      Thread.sleep(100);
    }
  }

  /** The sum of the per-node stable concurrencies in a metrics answer. */
  private static double nodesSum(JsonObject metrics) {
    double sum = 0;
    for (Object n : metrics.getJsonArray("nodes")) {
      sum += orNaNToZero(((JsonObject) n).getJsonObject("concurrency").getValue("stable"));
    }
    return sum;
  }

  private static double orNaNToZero(Object value) {
    return value instanceof Number n ? n.doubleValue() : 0;
  }

  private static double orNaN(Object value) {
    return value instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  private static int intOr(Object value, int fallback) {
    return value instanceof Number n ? n.intValue() : fallback;
  }

  private static void sleepSeconds(int seconds) {
    sleepMillis(seconds * 1000L);
  }

  private static void sleepMillis(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static double median(List<Double> values) {
    return percentile(values, 0.5);
  }

  private static double percentile(List<Double> values, double p) {
    if (values.isEmpty()) {
      return Double.NaN;
    }
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get((int) Math.min(sorted.size() - 1, Math.round(p * (sorted.size() - 1))));
  }

  /** The value furthest from zero, with its sign. */
  private static double maxAbs(List<Double> values) {
    double worst = 0;
    for (double v : values) {
      if (Math.abs(v) > Math.abs(worst)) {
        worst = v;
      }
    }
    return values.isEmpty() ? Double.NaN : worst;
  }
}

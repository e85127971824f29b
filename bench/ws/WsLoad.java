import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The WebSocket benchmark's load: closed-loop echo round trips. Each of C sockets sends a binary message of S bytes,
 * waits for it to come back, and sends the next, for D seconds; the round-trip times of every message that came back
 * within the run are kept and their percentiles reported, with the messages per second.
 *
 * <p>Every round runs every case (size x sockets) against every target, targets interleaved and their order rotated
 * per round, so that a slow spell of this shared machine falls on all of them alike. One line per run on stdout:
 * {@code BENCH round=.. size=.. conns=.. target=.. messages=.. seconds=.. rate=.. p50=.. p99=.. p999=.. errors=..
 * proxy_cpu_s=.. backend_cpu_s=.. client_cpu_s=.. other_cpu_s=..} (latencies in µs; CPU read from /proc around the
 * run; "other" is the rest of the machine, the noise of others' work on a shared machine).
 *
 * <pre>
 * java -cp sluice.jar WsLoad.java --target direct=ws://127.0.0.1:P/ws --target sluice=ws://127.0.0.1:Q/v4/local/echo/ws
 *     [--auth "Bearer KEY"] [--sizes 32,16384] [--conns 1,16,64] [--duration 5] [--rounds 3] [--warmup 10]
 *     [--proxy-pid sluice=PID] [--backend-pid PID] [--hz 100]
 * </pre>
 */
public final class WsLoad {

  private static final Random RANDOM = new Random(42);

  private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1));
  private final WebSocketClient client = vertx.createWebSocketClient(new WebSocketClientOptions()
      .setMaxFrameSize(16 << 20).setMaxMessageSize(16 << 20).setMaxConnections(100_000));
  private final String auth;

  private WsLoad(String auth) {
    this.auth = auth;
  }

  public static void main(String[] args) throws Exception {
    Map<String, URI> targets = new LinkedHashMap<>();
    Map<String, Long> proxyPids = new LinkedHashMap<>();
    String auth = null;
    List<Integer> sizes = List.of(32, 16384);
    List<Integer> conns = List.of(1, 16, 64);
    double duration = 5;
    double warmup = 10;
    int rounds = 3;
    long backendPid = -1;
    int hz = 100;
    for (int i = 0; i + 1 < args.length; i += 2) {
      String value = args[i + 1];
      switch (args[i]) {
        case "--target" -> targets.put(value.substring(0, value.indexOf('=')),
            URI.create(value.substring(value.indexOf('=') + 1)));
        case "--auth" -> auth = value;
        case "--sizes" -> sizes = ints(value);
        case "--conns" -> conns = ints(value);
        case "--duration" -> duration = Double.parseDouble(value);
        case "--warmup" -> warmup = Double.parseDouble(value);
        case "--rounds" -> rounds = Integer.parseInt(value);
        case "--proxy-pid" -> proxyPids.put(value.substring(0, value.indexOf('=')),
            Long.parseLong(value.substring(value.indexOf('=') + 1)));
        case "--backend-pid" -> backendPid = Long.parseLong(value);
        case "--hz" -> hz = Integer.parseInt(value);
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    WsLoad load = new WsLoad(auth);
    List<String> names = new ArrayList<>(targets.keySet());
    if (warmup > 0) {
      // The node's and the backend's JIT, both sizes, twice over; not reported.
      for (int pass = 0; pass < 2; pass++) {
        for (int size : sizes) {
          for (String name : names) {
            load.run(targets.get(name), size, 16, warmup / 2);
          }
        }
      }
    }
    for (int round = 1; round <= rounds; round++) {
      List<String> order = new ArrayList<>(names);
      java.util.Collections.rotate(order, -((round - 1) % names.size()));
      for (int size : sizes) {
        for (int c : conns) {
          for (String name : order) {
            Long proxyPid = proxyPids.get(name);
            long p0 = proxyPid == null ? 0 : ticks(proxyPid);
            long b0 = backendPid < 0 ? 0 : ticks(backendPid);
            long c0 = ticks(ProcessHandle.current().pid());
            long m0 = machineTicks();
            Result r = load.run(targets.get(name), size, c, duration);
            long m1 = machineTicks();
            long p1 = proxyPid == null ? 0 : ticks(proxyPid);
            long b1 = backendPid < 0 ? 0 : ticks(backendPid);
            long c1 = ticks(ProcessHandle.current().pid());
            long other = Math.max(0, (m1 - m0) - (p1 - p0) - (b1 - b0) - (c1 - c0));
            System.out.printf("BENCH round=%d size=%d conns=%d target=%s messages=%d seconds=%.3f rate=%.0f p50=%d "
                    + "p99=%d p999=%d errors=%d proxy_cpu_s=%.2f backend_cpu_s=%.2f client_cpu_s=%.2f other_cpu_s=%.2f%n",
                round, size, c, name, r.messages, r.seconds, r.messages / r.seconds, r.percentile(0.50),
                r.percentile(0.99), r.percentile(0.999), r.errors, (p1 - p0) / (double) hz, (b1 - b0) / (double) hz,
                (c1 - c0) / (double) hz, other / (double) hz);
            System.out.flush();
          }
        }
      }
    }
    load.vertx.close().await();
  }

  private static List<Integer> ints(String list) {
    return Arrays.stream(list.split(",")).map(String::trim).map(Integer::parseInt).toList();
  }

  /** User + system CPU of a process, all threads, in clock ticks. */
  private static long ticks(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    } catch (Exception e) {
      return 0;
    }
  }

  /**
   * CPU time the whole machine spent in processes (user, nice, system) and lost to the hypervisor (steal), in ticks:
   * what is left after the node, the backend and this client is other people's work on a shared machine.
   */
  private static long machineTicks() {
    try {
      String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      return Long.parseLong(cpu[1]) + Long.parseLong(cpu[2]) + Long.parseLong(cpu[3]) + Long.parseLong(cpu[8]);
    } catch (Exception e) {
      return 0;
    }
  }

  record Result(long messages, double seconds, long errors, long[] latenciesNanos) {
    long percentile(double p) {
      if (latenciesNanos.length == 0) {
        return -1;
      }
      int index = (int) Math.min(latenciesNanos.length - 1, Math.ceil(p * latenciesNanos.length) - 1);
      return latenciesNanos[Math.max(0, index)] / 1000;
    }
  }

  /** One run: opens the sockets (not timed), then loops for {@code seconds}, then closes them. */
  private Result run(URI target, int size, int conns, double seconds) throws Exception {
    byte[] bytes = new byte[size];
    RANDOM.nextBytes(bytes);
    Buffer message = Buffer.buffer(bytes);
    List<WebSocket> sockets = new ArrayList<>();
    for (int i = 0; i < conns; i++) {
      WebSocketConnectOptions options = new WebSocketConnectOptions().setHost(target.getHost())
          .setPort(target.getPort()).setURI(target.getRawPath());
      if (auth != null) {
        options.putHeader("Authorization", auth);
      }
      sockets.add(client.connect(options).await(10, TimeUnit.SECONDS));
    }
    Loop loop = new Loop(message, sockets.size(), (long) (seconds * 1e9));
    vertx.runOnContext(v -> loop.start(sockets));
    Result result = loop.done.get((long) seconds + 30, TimeUnit.SECONDS);
    for (WebSocket socket : sockets) {
      socket.close().await(10, TimeUnit.SECONDS);
    }
    return result;
  }

  /** The closed loop, on the client's one event loop. */
  private static final class Loop {
    final Buffer message;
    final long lengthNanos;
    final CompletableFuture<Result> done = new CompletableFuture<>();
    long[] latencies = new long[1 << 16];
    int count;
    long errors;
    long startNanos;
    long endNanos;
    int active;

    Loop(Buffer message, int sockets, long lengthNanos) {
      this.message = message;
      this.lengthNanos = lengthNanos;
      this.active = sockets;
    }

    void start(List<WebSocket> sockets) {
      startNanos = System.nanoTime();
      endNanos = startNanos + lengthNanos;
      for (WebSocket socket : sockets) {
        long[] sent = {0};
        socket.binaryMessageHandler(echo -> {
          long now = System.nanoTime();
          if (echo.length() != message.length()) {
            errors++;
          }
          if (now <= endNanos) {
            record(now - sent[0]);
            sent[0] = now;
            socket.writeBinaryMessage(message);
          } else {
            finished();
          }
        });
        socket.closeHandler(v -> {
          if (System.nanoTime() <= endNanos) {
            errors++;
            finished();
          }
        });
        sent[0] = System.nanoTime();
        socket.writeBinaryMessage(message);
      }
    }

    void record(long nanos) {
      if (count == latencies.length) {
        latencies = Arrays.copyOf(latencies, count * 2);
      }
      latencies[count++] = nanos;
    }

    void finished() {
      if (--active == 0) {
        long[] sorted = Arrays.copyOf(latencies, count);
        Arrays.sort(sorted);
        done.complete(new Result(count, lengthNanos / 1e9, errors, sorted));
      }
    }
  }
}

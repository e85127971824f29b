package io.sluice.dataplane.support;

import static org.awaitility.Awaitility.await;

import io.sluice.dataplane.auth.AdminToken;
import io.sluice.dataplane.auth.NodeCredentials;
import io.sluice.dataplane.launcher.SluiceCommand;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A node in a JVM of its own, started as a user starts one ({@code sluice up}) on loopback ports, so that a test can
 * kill it with SIGKILL as a machine dies. Its output goes to {@code node.log} beside its state folder.
 */
public final class NodeProcess implements AutoCloseable {

  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final Process process;
  private final Path stateDir;
  private final int publicPort;
  private final int adminPort;
  private final int fleetPort;
  private final String adminToken;

  private NodeProcess(Process process, Path stateDir, int publicPort, int adminPort, int fleetPort,
      String adminToken) {
    this.process = process;
    this.stateDir = stateDir;
    this.publicPort = publicPort;
    this.adminPort = adminPort;
    this.fleetPort = fleetPort;
    this.adminToken = adminToken;
  }

  /**
   * Starts a node of fleet {@code fleetName} joining the fleet ports given, and waits until its admin API says it is
   * ready. {@code extra} are more {@code sluice up} flags.
   */
  public static NodeProcess start(Path stateDir, String fleetName, List<Integer> join, String adminToken,
      List<String> extra) throws Exception {
    Files.createDirectories(stateDir);
    int publicPort = freePort();
    int adminPort = freePort();
    int fleetPort = freePort();
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> command = new ArrayList<>(List.of(java, "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        "-cp", System.getProperty("java.class.path"), SluiceCommand.class.getName(), "up",
        "--host", "127.0.0.1", "--port", String.valueOf(publicPort), "--admin-port", String.valueOf(adminPort),
        "--state", stateDir.toString(), "--fleet-name", fleetName, "--fleet-port", String.valueOf(fleetPort)));
    if (!join.isEmpty()) {
      command.add("--join");
      command.add(String.join(",", join.stream().map(port -> "127.0.0.1:" + port).toList()));
    }
    command.addAll(extra);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(stateDir.resolveSibling(stateDir.getFileName() + ".log").toFile());
    builder.environment().put(AdminToken.ENV, adminToken);
    NodeProcess node = new NodeProcess(builder.start(), stateDir, publicPort, adminPort, fleetPort, adminToken);
    try {
      await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
          .until(() -> {
            if (!node.process.isAlive()) {
              throw new AssertionError("node exited with " + node.process.exitValue() + "; see its log");
            }
            // The admin port opens before the public one: both must answer.
            return node.get("/ready").statusCode() == 200 && node.publicPortOpen();
          });
    } catch (RuntimeException | AssertionError e) {
      node.kill();
      throw new AssertionError("the node did not come up; the end of its log:\n" + logTail(stateDir), e);
    }
    return node;
  }

  private static String logTail(Path stateDir) {
    try {
      List<String> lines = Files.readAllLines(stateDir.resolveSibling(stateDir.getFileName() + ".log"));
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  private boolean publicPortOpen() {
    try (java.net.Socket socket = new java.net.Socket(InetAddress.getLoopbackAddress(), publicPort)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  public int fleetPort() {
    return fleetPort;
  }

  public String publicUrl() {
    return "http://127.0.0.1:" + publicPort;
  }

  /** The starter API key, which only the fleet's first node writes. */
  public String apiKey() throws IOException {
    return Files.readString(stateDir.resolve(NodeCredentials.STARTER_KEY_FILE)).trim();
  }

  /** An admin API GET, with the admin token. */
  public HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + adminPort + path))
        .header("Authorization", "Bearer " + adminToken).timeout(Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** An admin API GET that must answer 200 with JSON. */
  public JsonObject json(String path) throws IOException, InterruptedException {
    HttpResponse<String> answer = get(path);
    if (answer.statusCode() != 200) {
      throw new IllegalStateException(path + " answered " + answer.statusCode() + ": " + answer.body());
    }
    return new JsonObject(answer.body());
  }

  public boolean alive() {
    return process.isAlive();
  }

  /** SIGKILL to the node and to every replica process it started, as when its machine dies. */
  public void kill() throws InterruptedException {
    List<ProcessHandle> descendants = process.descendants().toList();
    process.destroyForcibly();
    descendants.forEach(ProcessHandle::destroyForcibly);
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** SIGTERM: the node drains and stops its replicas; killed if it has not ended within 60 s. */
  @Override
  public void close() throws InterruptedException {
    List<ProcessHandle> descendants = process.descendants().toList();
    process.destroy();
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
    descendants.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
  }

  /**
   * A free port below Linux's ephemeral range (32768 and up by default): a port from that range, free when probed,
   * can be taken as the source port of any outgoing connection before the node binds it, and the node then fails.
   */
  private static int freePort() throws IOException {
    java.util.concurrent.ThreadLocalRandom random = java.util.concurrent.ThreadLocalRandom.current();
    for (int attempt = 0; attempt < 100; attempt++) {
      int port = random.nextInt(20_000, 32_000);
      try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        return socket.getLocalPort();
      } catch (IOException taken) {
        // Try another.
      }
    }
    throw new IOException("no free port found between 20000 and 32000");
  }
}

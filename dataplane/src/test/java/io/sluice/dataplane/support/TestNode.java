package io.sluice.dataplane.support;

import static org.awaitility.Awaitility.await;

import io.sluice.cluster.fleet.FleetOptions;
import io.sluice.config.AppId;
import io.sluice.dataplane.apps.AppState;
import io.sluice.dataplane.apps.DeployedApp;
import io.sluice.dataplane.auth.AdminToken;
import io.sluice.dataplane.auth.NodeCredentials;
import io.sluice.dataplane.node.NodeOptions;
import io.sluice.dataplane.node.SluiceNode;
import io.sluice.dataplane.replica.local.ProbeTimings;
import io.sluice.dataplane.replica.local.RestartBackoff;
import io.sluice.dataplane.scaling.ScalingOptions;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A real node for tests: real servers on free ports, real replica processes, a state folder of its own, probes tuned
 * to react in tens of milliseconds, and a Vert.x that reports any event loop blocked for more than 100 ms.
 */
public final class TestNode implements AutoCloseable {

  public static final Path EXAMPLE_SERVER = Path.of("..", "examples", "hello", "main.py").toAbsolutePath().normalize();

  public static final ProbeTimings FAST_PROBES = new ProbeTimings(
      Duration.ofMillis(10), Duration.ofMillis(200), Duration.ofMillis(500), 2, Duration.ofSeconds(30), 2,
      new RestartBackoff(Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(60)));

  private final SluiceNode node;
  private final Path stateDir;
  private final String apiKey;
  private final String adminToken;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private TestNode(SluiceNode node, Path stateDir) throws IOException {
    this.node = node;
    this.stateDir = stateDir;
    // A node that joins a fleet which already has keys makes no starter key: use the first node's.
    Path starter = stateDir.resolve(NodeCredentials.STARTER_KEY_FILE);
    this.apiKey = Files.exists(starter) ? Files.readString(starter).trim() : null;
    this.adminToken = Files.readString(stateDir.resolve(AdminToken.FILE_NAME)).trim();
  }

  /** Fast everything: probes, a 500 ms scaling tick, a 2 s scale-to-zero grace, 10 s hold. */
  public static NodeOptions.Builder options(Path stateDir) {
    return NodeOptions.defaults(stateDir).toBuilder()
        .publicAddress("127.0.0.1", 0)
        .adminAddress("127.0.0.1", 0)
        .eventLoops(2)
        .probeTimings(FAST_PROBES)
        .scaling(new ScalingOptions("sluice", Duration.ofMillis(500), Duration.ofSeconds(2)))
        .hold(Duration.ofSeconds(10), 1000)
        .stopping(Duration.ofSeconds(10), Duration.ofSeconds(3))
        // A fleet of its own: test nodes never join each other unless a test says so.
        .fleet(FleetOptions.alone().named("test-" + UUID.randomUUID()));
  }

  public static TestNode start(Path stateDir) throws Exception {
    return start(options(stateDir).build());
  }

  public static TestNode start(NodeOptions local) throws Exception {
    VertxOptions vertx = new VertxOptions().setPreferNativeTransport(true)
        .setMaxEventLoopExecuteTime(100).setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
        .setBlockedThreadCheckInterval(50).setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS)
        .setWarningExceptionTime(100).setWarningExceptionTimeUnit(TimeUnit.MILLISECONDS);
    SluiceNode node = within(SluiceNode.start(local, vertx), "start");
    return new TestNode(node, local.stateDir());
  }

  public SluiceNode node() {
    return node;
  }

  public Path stateDir() {
    return stateDir;
  }

  public String publicUrl() {
    return "http://127.0.0.1:" + node.publicPort();
  }

  public String adminUrl() {
    return "http://127.0.0.1:" + node.adminPort();
  }

  /** Writes an app folder: the example server and the given config file. */
  public static Path appFolder(Path parent, String folder, String configFile, String config) throws IOException {
    Path dir = Files.createDirectories(parent.resolve(folder));
    Files.copy(EXAMPLE_SERVER, dir.resolve("main.py"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Files.writeString(dir.resolve(configFile), config);
    return dir;
  }

  /** Deploys through the deployer (as {@code --apps} does) and waits for the node to accept it. */
  public DeployedApp deploy(Path folder) throws Exception {
    return node.deployer().deployFolder(folder, Optional.empty(), Optional.empty())
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** Deploys into the given project and waits until the app is ready. */
  public DeployedApp deployAndAwaitReady(Path folder, String project) throws Exception {
    DeployedApp app = node.deployer().deployFolder(folder, Optional.of(project), Optional.empty())
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    awaitState(app.spec().id(), AppState.READY);
    return app;
  }

  /** Makes an API key for the project through the admin API, as an operator would. */
  public String createKey(String project) throws Exception {
    HttpResponse<String> created = admin("POST", "/v1/projects/" + project + "/api-keys", "{\"name\": \"test\"}");
    if (created.statusCode() != 201) {
      throw new IllegalStateException("key not made: " + created.statusCode() + " " + created.body());
    }
    return new JsonObject(created.body()).getString("key");
  }

  public DeployedApp deployAndAwaitReady(Path folder) throws Exception {
    DeployedApp app = deploy(folder);
    awaitState(app.spec().id(), AppState.READY);
    return app;
  }

  public void awaitState(AppId id, AppState state) {
    await().atMost(Duration.ofSeconds(30)).until(() ->
        node.deployer().app(id).map(DeployedApp::state).orElse(null) == state);
  }

  /** The admin API's token, for requests made by hand. */
  public String adminToken() {
    return adminToken;
  }

  /** The key the node made for project {@code local} at its first start. */
  public String apiKey() {
    return apiKey;
  }

  /** {@code Authorization: Bearer <key of project local>}, the header line for raw requests. */
  public String authLine() {
    return "Authorization: Bearer " + apiKey + "\r\n";
  }

  /** A request to the public port carrying project {@code local}'s key. */
  public HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(publicUrl() + path)).header("Authorization", "Bearer " + apiKey);
  }

  public HttpResponse<String> get(String path) throws Exception {
    return send(request(path).GET().build());
  }

  public HttpResponse<String> post(String path, String body) throws Exception {
    return send(request(path).POST(HttpRequest.BodyPublishers.ofString(body)).build());
  }

  public HttpResponse<String> send(HttpRequest request) throws Exception {
    return http.send(request, HttpResponse.BodyHandlers.ofString());
  }

  public HttpResponse<String> admin(String method, String path, String body) throws Exception {
    HttpRequest.BodyPublisher publisher = body == null
        ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body);
    return send(HttpRequest.newBuilder(URI.create(adminUrl() + path)).header("Authorization", "Bearer " + adminToken)
        .method(method, publisher).build());
  }

  public JsonObject adminJson(String path) throws Exception {
    return new JsonObject(admin("GET", path, null).body());
  }

  public HttpClient http() {
    return http;
  }

  @Override
  public void close() throws Exception {
    within(node.stop(), "stop");
  }

  /**
   * Waits a minute for a node to start or stop; past that, prints every thread's stack before failing, since a node
   * that hangs on a loaded CI machine leaves nothing else to say where.
   */
  private static <T> T within(io.vertx.core.Future<T> future, String what) throws Exception {
    try {
      return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (java.util.concurrent.TimeoutException e) {
      StringBuilder dump = new StringBuilder("A node did not " + what + " within 60 s; its threads:\n");
      for (java.lang.management.ThreadInfo thread : java.lang.management.ManagementFactory.getThreadMXBean()
          .dumpAllThreads(true, true)) {
        dump.append('"').append(thread.getThreadName()).append("\" ").append(thread.getThreadState()).append('\n');
        for (StackTraceElement frame : thread.getStackTrace()) {
          dump.append("    at ").append(frame).append('\n');
        }
      }
      System.err.println(dump);
      throw new IllegalStateException("a node did not " + what + " within 60 s (threads printed above)", e);
    }
  }
}

package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.dataplane.auth.AuthOptions;
import io.sluice.dataplane.support.Configs;
import io.sluice.dataplane.support.Scrape;
import io.sluice.dataplane.support.TestNode;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Who gets in, through a live node to real replicas: API keys, JWTs from trusted issuers, replica tokens for calls
 * between apps of one project, apps that disable auth, and the admin API's own credential.
 */
class AuthEndToEndTest {

  private static final String HS_SECRET = "a-shared-secret-that-is-long-enough-for-hs256!";
  private static final String ISSUER = "https://issuer.test";

  @TempDir
  static Path temp;

  static TestNode node;
  static String p1Key;
  static String p2Key;
  static KeyPair rsa;
  static KeyPair ec;
  static KeyPair strangerRsa;

  @BeforeAll
  static void startNode() throws Exception {
    rsa = generate("RSA", null);
    ec = generate("EC", new ECGenParameterSpec("secp256r1"));
    strangerRsa = generate("RSA", null);
    AuthOptions auth = new AuthOptions(List.of(
        new AuthOptions.JwtKey("HS256", HS_SECRET),
        new AuthOptions.JwtKey("RS256", pem("PUBLIC KEY", rsa.getPublic().getEncoded())),
        new AuthOptions.JwtKey("ES256", pem("PUBLIC KEY", ec.getPublic().getEncoded()))),
        "sluice", Optional.of(ISSUER));
    node = TestNode.start(TestNode.options(temp.resolve("state")).auth(auth).build());
    node.deployAndAwaitReady(TestNode.appFolder(temp, "a", "cerebrium.toml", Configs.cerebrium("a", 1, 0, "")), "p1");
    node.deployAndAwaitReady(TestNode.appFolder(temp, "b", "cerebrium.toml", Configs.cerebrium("b", 1, 0, "")), "p1");
    node.deployAndAwaitReady(TestNode.appFolder(temp, "c", "cerebrium.toml", Configs.cerebrium("c", 1, 0, "")), "p2");
    node.deployAndAwaitReady(TestNode.appFolder(temp, "open", "cerebrium.toml",
        Configs.cerebrium("open", 1, 0, "").replace("name = \"open\"", "name = \"open\"\ndisable_auth = true")), "p1");
    p1Key = node.createKey("p1");
    p2Key = node.createKey("p2");
  }

  @AfterAll
  static void stopNode() throws Exception {
    node.close();
  }

  record Case(String what, String authorization, String path, int status) {}

  @Test
  void credentials_open_their_own_project_and_nothing_else() throws Exception {
    long now = System.currentTimeMillis() / 1000;
    JsonObject p1 = new JsonObject().put("project", "p1").put("iss", ISSUER).put("aud", "sluice");
    JsonObject p2 = p1.copy().put("project", "p2");
    String tamperedKey = p1Key.substring(0, p1Key.length() - 1) + (p1Key.endsWith("A") ? "B" : "A");
    List<Case> cases = List.of(
        new Case("no credential", null, "/v4/p1/a/echo", 401),
        new Case("no credential, app that does not exist", null, "/v4/p1/nope/echo", 401),
        new Case("not a key", "Bearer nope", "/v4/p1/a/echo", 401),
        new Case("Basic scheme", "Basic " + b64("user:" + p1Key), "/v4/p1/a/echo", 401),
        new Case("own project's key", "Bearer " + p1Key, "/v4/p1/a/echo", 200),
        new Case("Baseten's Api-Key scheme", "Api-Key " + p1Key, "/v4/p1/b/echo", 200),
        new Case("lower-case scheme", "bearer " + p1Key, "/v4/p1/a/echo", 200),
        new Case("another project's app", "Bearer " + p1Key, "/v4/p2/c/echo", 404),
        new Case("own project, no such app", "Bearer " + p1Key, "/v4/p1/nope/echo", 404),
        new Case("second project's key", "Bearer " + p2Key, "/v4/p2/c/echo", 200),
        new Case("second project's key, first's app", "Bearer " + p2Key, "/v4/p1/a/echo", 404),
        new Case("key with its secret changed", "Bearer " + tamperedKey, "/v4/p1/a/echo", 401),
        new Case("HS256 JWT", "Bearer " + hs(p1.copy().put("exp", now + 600)), "/v4/p1/a/echo", 200),
        new Case("HS256 JWT, other project", "Bearer " + hs(p1.copy().put("exp", now + 600)), "/v4/p2/c/echo", 404),
        new Case("RS256 JWT", "Bearer " + signed("RS256", rsa, p1.copy().put("exp", now + 600)), "/v4/p1/a/echo",
            200),
        new Case("ES256 JWT", "Bearer " + signed("ES256", ec, p2.copy().put("exp", now + 600)), "/v4/p2/c/echo",
            200),
        new Case("Cerebrium's projectId claim", "Bearer " + hs(new JsonObject().put("projectId", "p2")
            .put("iss", ISSUER).put("aud", "sluice").put("exp", now + 600)), "/v4/p2/c/echo", 200),
        new Case("expired an hour ago", "Bearer " + hs(p1.copy().put("exp", now - 3600)), "/v4/p1/a/echo", 401),
        new Case("not valid for an hour", "Bearer " + hs(p1.copy().put("exp", now + 7200).put("nbf", now + 3600)),
            "/v4/p1/a/echo", 401),
        new Case("no expiry", "Bearer " + hs(p1.copy()), "/v4/p1/a/echo", 401),
        new Case("wrong audience", "Bearer " + hs(p1.copy().put("aud", "other").put("exp", now + 600)),
            "/v4/p1/a/echo", 401),
        new Case("wrong issuer", "Bearer " + hs(p1.copy().put("iss", "https://evil.test").put("exp", now + 600)),
            "/v4/p1/a/echo", 401),
        new Case("no project claim", "Bearer " + hs(p1.copy().put("exp", now + 600).putNull("project")),
            "/v4/p1/a/echo", 401),
        new Case("signed by an unknown key", "Bearer " + signed("RS256", strangerRsa,
            p1.copy().put("exp", now + 600)), "/v4/p1/a/echo", 401),
        new Case("alg none", "Bearer " + unsigned(p1.copy().put("exp", now + 600)), "/v4/p1/a/echo", 401),
        new Case("HS256 keyed with the RSA public key", "Bearer " + hmacWith(
            pem("PUBLIC KEY", rsa.getPublic().getEncoded()), p1.copy().put("exp", now + 600)), "/v4/p1/a/echo", 401),
        new Case("payload changed after signing", "Bearer " + swapPayload(hs(p2.copy().put("exp", now + 600)),
            p1.copy().put("exp", now + 600)), "/v4/p1/a/echo", 401),
        new Case("auth disabled, no credential", null, "/v4/p1/open/echo", 200),
        new Case("auth disabled, other project's key", "Bearer " + p2Key, "/v4/p1/open/echo", 200));

    SoftAssertions softly = new SoftAssertions();
    for (Case c : cases) {
      HttpResponse<String> response = call(c.authorization(), c.path());
      softly.assertThat(response.statusCode()).as(c.what() + ": " + response.body()).isEqualTo(c.status());
      if (c.status() == 401) {
        softly.assertThat(response.headers().firstValue("WWW-Authenticate")).as(c.what()).hasValue("Bearer realm=\"sluice\"");
        softly.assertThat(new JsonObject(response.body()).getJsonObject("error").getString("code")).isEqualTo("unauthorized");
      }
      if (c.authorization() != null && c.status() != 200) {
        softly.assertThat(response.body()).as(c.what() + ": the credential is not echoed")
            .doesNotContain(c.authorization().substring(c.authorization().indexOf(' ') + 1));
      }
    }
    softly.assertAll();
  }

  @Test
  void another_projects_app_looks_exactly_like_a_missing_one() throws Exception {
    JsonObject otherProject = new JsonObject(call("Bearer " + p1Key, "/v4/p2/c/echo").body()).getJsonObject("error");
    JsonObject missing = new JsonObject(call("Bearer " + p1Key, "/v4/p2/zzz/echo").body()).getJsonObject("error");

    assertThat(otherProject.getString("code")).isEqualTo(missing.getString("code")).isEqualTo("app_not_found");
    assertThat(otherProject.getString("message").replace("/v4/p2/c", "/v4/p2/zzz")).isEqualTo(missing.getString("message"));
  }

  @Test
  void the_key_goes_no_further_than_sluice_but_an_open_apps_own_auth_header_does() throws Exception {
    JsonObject keyed = new JsonObject(call("Bearer " + p1Key, "/v4/p1/a/echo").body()).getJsonObject("headers");
    JsonObject open = new JsonObject(call("Bearer app-own-token", "/v4/p1/open/echo").body())
        .getJsonObject("headers");

    assertThat(keyed.getString("authorization")).isNull();
    assertThat(open.getString("authorization")).isEqualTo("Bearer app-own-token");
  }

  @Test
  void a_replica_calls_another_app_of_its_project_with_its_token_and_no_other_project() throws Exception {
    JsonObject sameProject = new JsonObject(call("Bearer " + p1Key, "/v4/p1/a/call?path=/v4/p1/b/echo").body());
    JsonObject otherProject = new JsonObject(call("Bearer " + p1Key, "/v4/p1/a/call?path=/v4/p2/c/echo").body());
    JsonObject withoutToken = new JsonObject(
        call("Bearer " + p1Key, "/v4/p1/a/call?path=/v4/p1/b/echo&token=none").body());

    assertThat(sameProject.getInteger("status")).as(sameProject.encode()).isEqualTo(200);
    assertThat(new JsonObject(sameProject.getString("body")).getString("path")).isEqualTo("/echo");
    assertThat(otherProject.getInteger("status")).isEqualTo(404);
    assertThat(withoutToken.getInteger("status")).isEqualTo(401);
  }

  @Test
  void a_call_from_one_app_to_another_carries_the_callers_request_id_and_counts_for_the_app_called() throws Exception {
    double calledBefore = requestsCounted("b");
    double callerBefore = requestsCounted("a");

    HttpResponse<String> named = node.send(HttpRequest.newBuilder(
            URI.create(node.publicUrl() + "/v4/p1/a/call?path=/v4/p1/b/echo"))
        .header("Authorization", "Bearer " + p1Key).header("X-Request-Id", "chain-7f3a").GET().build());
    HttpResponse<String> unnamed = call("Bearer " + p1Key, "/v4/p1/a/call?path=/v4/p1/b/echo");

    assertThat(named.headers().firstValue("X-Request-Id")).hasValue("chain-7f3a");
    assertThat(seenByTheAppCalled(named).getString("x-request-id")).as("the client's own id").isEqualTo("chain-7f3a");
    assertThat(seenByTheAppCalled(unnamed).getString("x-request-id")).as("the id the node made for the first call")
        .isEqualTo(unnamed.headers().firstValue("X-Request-Id").orElseThrow());
    await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
      assertThat(requestsCounted("b")).isEqualTo(calledBefore + 2);
      assertThat(requestsCounted("a")).isEqualTo(callerBefore + 2);
    });
  }

  @Test
  void a_revoked_key_is_refused_on_the_next_request() throws Exception {
    String key = node.createKey("p1");
    assertThat(call("Bearer " + key, "/v4/p1/a/echo").statusCode()).isEqualTo(200);
    String id = key.substring("sk_".length(), "sk_".length() + 16);

    assertThat(node.admin("DELETE", "/v1/projects/p1/api-keys/" + id, null).statusCode()).isEqualTo(200);

    assertThat(call("Bearer " + key, "/v4/p1/a/echo").statusCode()).isEqualTo(401);
    assertThat(node.admin("DELETE", "/v1/projects/p2/api-keys/" + id, null).statusCode())
        .as("a key is revoked in its own project only").isEqualTo(404);
  }

  @Test
  void keys_are_kept_as_salted_hashes_only_and_listed_without_their_secret() throws Exception {
    String key = node.createKey("p2");
    // sk_{16-char id}_{secret}: the secret is base64url, so it may hold '_' itself.
    String id = key.substring(3, 19);
    String secret = key.substring(20);
    Path stored;
    try (var files = Files.list(node.stateDir().resolve("fleet/credentials"))) {
      stored = files.filter(file -> readQuietly(file).contains(id)).findFirst().orElseThrow();
    }

    String listed = node.admin("GET", "/v1/projects/p2/api-keys", null).body();

    assertThat(Files.readString(stored)).doesNotContain(secret).contains("salt").contains("hash");
    assertThat(Files.getPosixFilePermissions(stored)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(listed).contains(key.substring(3, 19)).doesNotContain(secret).doesNotContain("hash")
        .doesNotContain("salt");
  }

  @Test
  void the_admin_api_wants_its_own_token_except_for_probes() throws Exception {
    HttpResponse<String> none = plain(node.adminUrl() + "/v1/apps", null);
    HttpResponse<String> projectKey = plain(node.adminUrl() + "/v1/apps", "Bearer " + p1Key);
    HttpResponse<String> health = plain(node.adminUrl() + "/health", null);

    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(new JsonObject(none.body()).getJsonObject("error").getString("code")).isEqualTo("unauthorized");
    assertThat(projectKey.statusCode()).isEqualTo(401);
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(node.admin("GET", "/v1/apps", null).statusCode()).isEqualTo(200);
    assertThat(node.node().options().adminHost()).isEqualTo("127.0.0.1");
  }

  // --- helpers ---------------------------------------------------------------------------------------------------------

  /** The headers app b's echo saw, from what app a's {@code /call} answered. */
  private static JsonObject seenByTheAppCalled(HttpResponse<String> response) {
    JsonObject called = new JsonObject(response.body());
    assertThat(called.getInteger("status")).as(called.encode()).isEqualTo(200);
    return new JsonObject(called.getString("body")).getJsonObject("headers");
  }

  /** {@code sluice_app_requests_total{project="p1",app=...,status_class="2xx"}} on the admin port's scrape. */
  private static double requestsCounted(String app) throws Exception {
    HttpResponse<String> scrape = plain(node.adminUrl() + "/metrics", null);
    return Scrape.of(scrape.body())
        .value("sluice_app_requests_total", "project", "p1", "app", app, "status_class", "2xx").orElse(0);
  }

  private static String readQuietly(Path file) {
    try {
      return Files.readString(file);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static HttpResponse<String> call(String authorization, String path) throws Exception {
    return plain(node.publicUrl() + path, authorization);
  }

  private static HttpResponse<String> plain(String url, String authorization) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).GET();
    if (authorization != null) {
      request.header("Authorization", authorization);
    }
    return node.send(request.build());
  }

  private static String hs(JsonObject claims) {
    return hmacWith(HS_SECRET, claims);
  }

  private static String hmacWith(String secret, JsonObject claims) {
    JWTAuth issuer = JWTAuth.create(node.node().vertx(), new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret)));
    return issuer.generateToken(claims, new JWTOptions().setAlgorithm("HS256"));
  }

  private static String signed(String algorithm, KeyPair keys, JsonObject claims) {
    JWTAuth issuer = JWTAuth.create(node.node().vertx(), new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions()
        .setAlgorithm(algorithm).setBuffer(pem("PRIVATE KEY", keys.getPrivate().getEncoded()))));
    return issuer.generateToken(claims, new JWTOptions().setAlgorithm(algorithm));
  }

  private static String unsigned(JsonObject claims) {
    return b64url("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + b64url(claims.encode()) + ".";
  }

  /** A valid token's signature on another payload. */
  private static String swapPayload(String token, JsonObject claims) {
    String[] parts = token.split("\\.");
    return parts[0] + "." + b64url(claims.encode()) + "." + parts[2];
  }

  private static KeyPair generate(String algorithm, ECGenParameterSpec spec) throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
    if (spec != null) {
      generator.initialize(spec);
    } else {
      generator.initialize(2048);
    }
    return generator.generateKeyPair();
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  private static String b64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  private static String b64url(String text) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }
}

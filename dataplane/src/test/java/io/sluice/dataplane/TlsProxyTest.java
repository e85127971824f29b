package io.sluice.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.dataplane.proxy.PublicTls;
import io.sluice.dataplane.support.Configs;
import io.sluice.dataplane.support.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The public port over TLS: HTTP/2 or HTTP/1.1 as the client chooses by ALPN, with a certificate made by openssl. */
class TlsProxyTest {

  @TempDir
  static Path temp;

  static TestNode node;
  static Vertx vertx;
  static Path certificate;
  static Path key;

  @BeforeAll
  static void start() throws Exception {
    certificate = temp.resolve("cert.pem");
    key = temp.resolve("key.pem");
    Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=localhost",
        "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key.toString(),
        "-out", certificate.toString()).redirectErrorStream(true).start();
    String made = new String(openssl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(openssl.waitFor()).as(made).isZero();
    node = TestNode.start(TestNode.options(temp.resolve("state")).tls(new PublicTls(certificate, key)).build());
    node.deployAndAwaitReady(TestNode.appFolder(temp, "hello", "cerebrium.toml", Configs.cerebrium("hello", 1, 0, "")));
    vertx = Vertx.vertx();
  }

  @AfterAll
  static void stop() throws Exception {
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    node.close();
  }

  @Test
  void an_alpn_client_gets_http2_and_the_replica_hears_it_came_over_https() throws Exception {
    HttpClient client = vertx.createHttpClient(new HttpClientOptions().setSsl(true).setUseAlpn(true)
        .setTrustAll(true).setVerifyHost(false).setProtocolVersion(HttpVersion.HTTP_2));

    JsonObject answer = client.request(new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
            .setPort(node.node().publicPort()).setURI("/v4/local/hello/echo")
            .putHeader("authorization", "Bearer " + node.apiKey()))
        .compose(request -> request.send())
        .compose(response -> response.body().map(body -> new JsonObject()
            .put("version", response.version().name()).put("status", response.statusCode())
            .put("echo", new JsonObject(body.toString()))))
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

    assertThat(answer.getInteger("status")).isEqualTo(200);
    assertThat(answer.getString("version")).isEqualTo("HTTP_2");
    assertThat(answer.getJsonObject("echo").getJsonObject("headers").getString("x-forwarded-proto"))
        .isEqualTo("https");
  }

  @Test
  void curl_gets_http2_by_default_and_http1_when_it_asks() throws Exception {
    String url = "https://localhost:" + node.node().publicPort() + "/v4/local/hello/echo";

    assertThat(curl(url)).startsWith("HTTP/2 200").contains("\"x-forwarded-proto\": \"https\"");
    assertThat(curl(url, "--http1.1")).startsWith("HTTP/1.1 200");
  }

  @Test
  void clear_text_on_a_tls_port_is_refused() throws Exception {
    assertThat(curlPlain("http://127.0.0.1:" + node.node().publicPort() + "/v4/local/hello/echo"))
        .doesNotContain("200");
  }

  static String curl(String url, String... options) throws Exception {
    java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("curl", "-sS", "-i", "--max-time",
        "20", "--cacert", certificate.toString(), "-H", "Authorization: Bearer " + node.apiKey()));
    command.addAll(java.util.List.of(options));
    command.add(url);
    return run(command);
  }

  static String curlPlain(String url) throws Exception {
    return run(java.util.List.of("curl", "-sS", "-i", "--max-time", "5", url));
  }

  static String run(java.util.List<String> command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
    return out;
  }
}

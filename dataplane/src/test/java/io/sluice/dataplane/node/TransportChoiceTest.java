package io.sluice.dataplane.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.sluice.dataplane.support.Configs;
import io.sluice.dataplane.support.TestNode;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.json.JsonObject;
import io.vertx.core.transport.Transport;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Which socket transport a node runs on: epoll, else NIO, or what {@code -Dsluice.transport} says (io_uring where the
 * kernel allows it). The rest of the suite runs on the default; here a node on each transport the machine has carries
 * a request with a large body and a streamed answer, so that the others stay proven too.
 */
class TransportChoiceTest {

  @TempDir
  Path temp;

  @AfterEach
  void clearProperty() {
    System.clearProperty("sluice.transport");
  }

  @Test
  void epoll_is_the_default_and_io_uring_is_taken_only_when_asked_for_and_the_kernel_allows_it() {
    VertxOptions options = new VertxOptions().setPreferNativeTransport(true);
    assumeThat(Transport.EPOLL.available()).as("epoll loads on this machine").isTrue();

    assertThat(SluiceNode.transport(options)).isSameAs(Transport.EPOLL);
    System.setProperty("sluice.transport", "io_uring");
    assertThat(SluiceNode.transport(options))
        .isSameAs(Transport.IO_URING.available() ? Transport.IO_URING : Transport.EPOLL);
    System.setProperty("sluice.transport", "nio");
    assertThat(SluiceNode.transport(options)).isSameAs(Transport.NIO);
  }

  @Test
  void a_node_told_not_to_use_native_transports_gets_nio_whatever_the_property_says() {
    System.setProperty("sluice.transport", "io_uring");

    assertThat(SluiceNode.transport(new VertxOptions().setPreferNativeTransport(false))).isSameAs(Transport.NIO);
  }

  @Test
  void a_transport_that_does_not_exist_is_refused_with_the_choices() {
    System.setProperty("sluice.transport", "epol");

    assertThatThrownBy(() -> SluiceNode.transport(new VertxOptions().setPreferNativeTransport(true)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("-Dsluice.transport=epol is not a transport: use epoll (the default), io_uring or nio");
  }

  @ParameterizedTest
  @ValueSource(strings = {"io_uring", "epoll", "nio"})
  void a_node_on_each_transport_carries_a_large_body_and_a_streamed_answer(String transport) throws Exception {
    Transport wanted = switch (transport) {
      case "io_uring" -> Transport.IO_URING;
      case "epoll" -> Transport.EPOLL;
      default -> Transport.NIO;
    };
    assumeThat(wanted.available()).as(transport + " is not available on this machine").isTrue();
    System.setProperty("sluice.transport", transport);

    try (TestNode node = TestNode.start(temp.resolve("state"))) {
      assertThat(((VertxInternal) node.node().vertx()).transport().getClass().getSimpleName().toLowerCase())
          .startsWith(transport.replace("_", ""));
      node.deployAndAwaitReady(TestNode.appFolder(temp, "hello", "cerebrium.toml",
          Configs.cerebrium("hello", 1, 0, "")));
      String body = "x".repeat(1024 * 1024);

      HttpResponse<String> echoed = node.post("/v4/local/hello/echo", body);
      HttpResponse<String> streamed = node.send(node.request("/v4/local/hello/stream?chunks=200&pad=4000").GET()
          .build());

      assertThat(echoed.statusCode()).as(echoed.body()).isEqualTo(200);
      assertThat(new JsonObject(echoed.body()).getString("body")).isEqualTo(body);
      assertThat(streamed.statusCode()).isEqualTo(200);
      assertThat(streamed.body().lines()).hasSize(200)
          .allSatisfy(line -> assertThat(line).matches("chunk \\d+\\.{4000}"));
    }
  }
}

package io.sluice.dataplane.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LazyTrailersTest {

  @Test
  void reads_as_empty_until_something_is_put_in_it() {
    HttpHeaders trailers = ProxyHeaders.TRAILERS.newHeaders();

    assertThat(trailers.isEmpty()).isTrue();
    assertThat(trailers.size()).isZero();
    assertThat(trailers.get("x-checksum")).isNull();
    assertThat(trailers.getAll("x-checksum")).isEmpty();
    assertThat(trailers.iteratorCharSequence().hasNext()).isFalse();
    assertThat(trailers.remove("x-checksum").clear().isEmpty()).isTrue();
    assertThat(trailers.copy().isEmpty()).isTrue();
  }

  @Test
  void once_written_it_holds_trailers_as_netty_would_and_refuses_the_ones_http_forbids() {
    HttpHeaders trailers = ProxyHeaders.TRAILERS.newHeaders();
    trailers.add("x-checksum", "abc").add("x-checksum", "def").set("grpc-status", 0);

    assertThat(trailers.isEmpty()).isFalse();
    assertThat(trailers.size()).isEqualTo(3);
    assertThat(trailers.getAll("X-Checksum")).containsExactly("abc", "def");
    assertThat(trailers.getInt("grpc-status")).isZero();
    assertThat(trailers.copy().getAll("x-checksum")).containsExactly("abc", "def");
    assertThatThrownBy(() -> trailers.add("content-length", "5")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("prohibited trailing header");

    trailers.remove("x-checksum");
    assertThat(trailers.names()).containsExactly("grpc-status");
  }

  @Test
  void the_decoder_gives_a_chunked_bodys_trailers_and_an_empty_map_to_a_body_of_known_length() {
    EmbeddedChannel channel = new EmbeddedChannel(new HttpRequestDecoder(ProxyHeaders.decoder(4096, 8192, 8192)));
    channel.writeInbound(Unpooled.copiedBuffer("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
        + "POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nx-checksum: abc\r\n\r\n",
        StandardCharsets.US_ASCII));
    List<LastHttpContent> ends = new ArrayList<>();
    for (Object message; (message = channel.readInbound()) != null; ) {
      if (message instanceof LastHttpContent end) {
        ends.add(end);
      } else if (!(message instanceof HttpRequest) && message instanceof HttpContent content) {
        content.release();
      }
    }

    assertThat(ends).hasSize(2);
    assertThat(ends.get(0).content().toString(StandardCharsets.US_ASCII)).isEqualTo("hi");
    assertThat(ends.get(0).trailingHeaders().isEmpty()).isTrue();
    assertThat(ends.get(1).trailingHeaders().names()).containsExactly("x-checksum");
    assertThat(ends.get(1).trailingHeaders().get("x-checksum")).isEqualTo("abc");
    ends.forEach(LastHttpContent::release);
    channel.finishAndReleaseAll();
  }
}

package io.sluice.dataplane.proxy;

import io.netty.handler.codec.DefaultHeaders.NameValidator;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpHeadersFactory;
import io.netty.util.AsciiString;

/**
 * The header maps of the HTTP/1.1 codecs, client's and replica's. Every name that arrives is checked as ever; the
 * names Sluice sets on every request and answer on its way through are its own constants, and are not checked again
 * each time: that check, a table lookup per char, was 3 % of the event loop's user time on the proxy benchmark.
 */
final class ProxyHeaders {

  static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
  static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
  static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
  static final AsciiString X_REQUEST_ID = AsciiString.cached("x-request-id");

  /** Compared by identity: only these very objects, valid names by construction, skip the check. */
  private static final AsciiString[] OWN = {
      X_REQUEST_ID, HttpHeaderNames.HOST, X_FORWARDED_FOR, X_FORWARDED_HOST, X_FORWARDED_PROTO,
      HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderNames.CONNECTION};

  private static final NameValidator<CharSequence> CHECKED =
      DefaultHttpHeadersFactory.headersFactory().getNameValidator();

  static final HttpHeadersFactory HEADERS = DefaultHttpHeadersFactory.headersFactory()
      .withNameValidator(ProxyHeaders::validateName);

  /** Trailers: every body's end carries a map for them and almost none gets any, so each is made when first written. */
  static final HttpHeadersFactory TRAILERS = new HttpHeadersFactory() {
    @Override
    public HttpHeaders newHeaders() {
      return new LazyTrailers();
    }

    @Override
    public HttpHeaders newEmptyHeaders() {
      return new LazyTrailers();
    }
  };

  private ProxyHeaders() {}

  private static void validateName(CharSequence name) {
    for (AsciiString own : OWN) {
      if (name == own) {
        return;
      }
    }
    CHECKED.validateName(name);
  }

  /** A decoder's limits, with these header and trailer maps. */
  static HttpDecoderConfig decoder(int maxInitialLineBytes, int maxHeaderBytes, int maxChunkBytes) {
    return new HttpDecoderConfig()
        .setMaxInitialLineLength(maxInitialLineBytes)
        .setMaxHeaderSize(maxHeaderBytes)
        .setMaxChunkSize(maxChunkBytes)
        .setHeadersFactory(HEADERS)
        .setTrailersFactory(TRAILERS);
  }
}

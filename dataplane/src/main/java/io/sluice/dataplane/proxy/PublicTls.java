package io.sluice.dataplane.proxy;

import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * The public port's certificate chain and private key (PEM files; the key unencrypted PKCS#8, as
 * {@code openssl req -newkey ... -nodes} and cert-manager write it). With them the port speaks TLS only, and offers
 * HTTP/2 and HTTP/1.1 by ALPN.
 */
public record PublicTls(Path certificateChain, Path privateKey) {

  public PublicTls {
    Objects.requireNonNull(certificateChain, "certificateChain");
    Objects.requireNonNull(privateKey, "privateKey");
  }

  /** Reads the files (blocking: call it off the event loop); a file that is missing or unreadable says which. */
  SslContext context() {
    for (Path file : new Path[] {certificateChain, privateKey}) {
      if (!Files.isReadable(file)) {
        throw new IllegalArgumentException("TLS: cannot read " + file.toAbsolutePath()
            + " (expected: a PEM file; --tls-cert takes the certificate chain, --tls-key the private key)");
      }
    }
    try {
      return SslContextBuilder.forServer(certificateChain.toFile(), privateKey.toFile())
          // HTTP/2 forbids the older cipher suites (RFC 9113 section 9.2.2): offer only those it allows.
          .ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
          .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
              ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
              ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
              ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1))
          .build();
    } catch (javax.net.ssl.SSLException | IllegalArgumentException e) {
      throw new IllegalArgumentException("TLS: " + certificateChain + " and " + privateKey
          + " are not a PEM certificate chain and its unencrypted PKCS#8 private key: " + e.getMessage(), e);
    }
  }
}

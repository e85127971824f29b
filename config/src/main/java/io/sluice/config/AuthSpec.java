package io.sluice.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@code [auth]} table of {@code sluice.toml}: which JWT issuers the public port trusts besides the node's own API
 * keys.
 *
 * @param jwtKeys one verification key per {@code [[auth.jwt_keys]]}
 * @param audience the {@code aud} a token must include
 * @param issuer the {@code iss} a token must carry, when set
 */
public record AuthSpec(List<JwtKeySpec> jwtKeys, String audience, Optional<String> issuer) {

  public static final String DEFAULT_AUDIENCE = "sluice";

  /**
   * @param algorithm HS256/384/512, RS256/384/512, PS256/384/512, ES256/384/512 or EdDSA
   * @param file for HMAC the shared secret, else the issuer's public key in PEM; relative to {@code sluice.toml}
   */
  public record JwtKeySpec(String algorithm, Path file) {
    public static final List<String> ALGORITHMS = List.of("HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
        "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA");

    public JwtKeySpec {
      Objects.requireNonNull(algorithm, "algorithm");
      Objects.requireNonNull(file, "file");
    }
  }

  public AuthSpec {
    jwtKeys = List.copyOf(jwtKeys);
    Objects.requireNonNull(audience, "audience");
    Objects.requireNonNull(issuer, "issuer");
  }

  public static AuthSpec defaults() {
    return new AuthSpec(List.of(), DEFAULT_AUDIENCE, Optional.empty());
  }
}

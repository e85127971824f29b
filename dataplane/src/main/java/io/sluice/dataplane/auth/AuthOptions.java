package io.sluice.dataplane.auth;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Which signed tokens the public port accepts besides the node's own API keys: the keys of the issuers it trusts,
 * and the audience and issuer their tokens must name.
 *
 * @param jwtKeys an issuer's key each; none means only API keys (and the node's own replica tokens) open apps
 * @param audience the {@code aud} a token must include
 * @param issuer the {@code iss} a token must carry, when set
 */
public record AuthOptions(List<JwtKey> jwtKeys, String audience, Optional<String> issuer) {

  public static final String DEFAULT_AUDIENCE = "sluice";

  /**
   * One verification key.
   *
   * @param algorithm HS256/384/512, RS256/384/512, PS256, ES256/384/512 or EdDSA
   * @param material for HMAC the shared secret, else the public key in PEM
   */
  public record JwtKey(String algorithm, String material) {
    public static final Set<String> ALGORITHMS = Set.of("HS256", "HS384", "HS512", "RS256", "RS384", "RS512",
        "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA");

    public JwtKey {
      Objects.requireNonNull(material, "material");
      if (!ALGORITHMS.contains(algorithm)) {
        throw new IllegalArgumentException("JWT algorithm: " + algorithm + " (expected one of "
            + ALGORITHMS.stream().sorted().toList() + ")");
      }
      if (algorithm.startsWith("HS") && material.length() < 32) {
        throw new IllegalArgumentException("JWT " + algorithm + " secret: " + material.length()
            + " characters (expected: at least 32, e.g. `openssl rand -base64 48`)");
      }
    }

    boolean hmac() {
      return algorithm.startsWith("HS");
    }

    @Override
    public String toString() {
      return "JwtKey[" + algorithm + "]";
    }
  }

  public AuthOptions {
    jwtKeys = List.copyOf(jwtKeys);
    Objects.requireNonNull(audience, "audience");
    Objects.requireNonNull(issuer, "issuer");
  }

  public static AuthOptions defaults() {
    return new AuthOptions(List.of(), DEFAULT_AUDIENCE, Optional.empty());
  }
}

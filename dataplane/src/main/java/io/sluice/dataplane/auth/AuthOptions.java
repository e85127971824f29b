package io.sluice.dataplane.auth;

import io.sluice.config.AuthSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Which signed tokens the public port accepts besides the node's own API keys: the keys of the issuers it trusts,
 * and the audience and issuer their tokens must name.
 *
 * @param jwtKeys an issuer's key each; none means only API keys (and the node's own replica tokens) open apps
 * @param audience the {@code aud} a token must include
 * @param issuer the {@code iss} a token must carry, when set
 */
public record AuthOptions(List<JwtKey> jwtKeys, String audience, Optional<String> issuer) {

  public static final String DEFAULT_AUDIENCE = AuthSpec.DEFAULT_AUDIENCE;

  /**
   * One verification key.
   *
   * @param algorithm HS256/384/512, RS256/384/512, PS256, ES256/384/512 or EdDSA
   * @param material for HMAC the shared secret, else the public key in PEM
   */
  public record JwtKey(String algorithm, String material) {

    public JwtKey {
      Objects.requireNonNull(material, "material");
      if (!AuthSpec.JwtKeySpec.ALGORITHMS.contains(algorithm)) {
        throw new IllegalArgumentException("JWT algorithm: " + algorithm + " (expected one of "
            + AuthSpec.JwtKeySpec.ALGORITHMS + ")");
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

  /**
   * The options a {@code sluice.toml} {@code [auth]} table names, with each key file read. Blocking.
   *
   * @throws IllegalArgumentException naming the file when one cannot be read or holds no usable key
   */
  public static AuthOptions read(AuthSpec spec) {
    List<JwtKey> keys = new ArrayList<>();
    for (AuthSpec.JwtKeySpec key : spec.jwtKeys()) {
      keys.add(readKey(key.algorithm(), key.file()));
    }
    return new AuthOptions(keys, spec.audience(), spec.issuer());
  }

  /** One key from its file: a PEM public key, or for HS* the shared secret. Blocking. */
  public static JwtKey readKey(String algorithm, Path file) {
    String material;
    try {
      material = Files.readString(file).trim();
    } catch (IOException e) {
      throw new IllegalArgumentException("JWT key file " + file + ": cannot be read (" + e.getMessage() + ")", e);
    }
    try {
      return new JwtKey(algorithm, material);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("JWT key file " + file + ": " + e.getMessage(), e);
    }
  }

  /** With more keys, as {@code --jwt-key} adds them to those of the config file. */
  public AuthOptions withKeys(List<JwtKey> more) {
    List<JwtKey> all = new ArrayList<>(jwtKeys);
    all.addAll(more);
    return new AuthOptions(all, audience, issuer);
  }
}

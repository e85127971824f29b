package io.sluice.dataplane.auth;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Who a public request comes from: the project that its {@code Authorization} header opens, or nobody.
 *
 * <p>Three kinds of credential, told apart by their shape: a project's API key ({@code sk_...}, checked against its
 * salted hash), a JWT signed by an issuer the operator trusts (its {@code project} claim names the project;
 * {@code exp} is required, {@code nbf}, audience and issuer are checked), and a replica token the node gave one of
 * its replicas (opening its own project while its app is deployed). {@code Bearer} and Baseten's {@code Api-Key}
 * schemes are both read.
 *
 * <p>Runs on event loops: nothing here blocks or leaves the node. Verified credentials are cached per loop: JWTs for at
 * most a minute (or their expiry), API keys until any key is revoked, so that a revocation takes effect on the next
 * request.
 */
public final class Authenticator {

  static final int CLOCK_SKEW_SECONDS = 30;
  private static final long CACHE_NANOS = TimeUnit.SECONDS.toNanos(60);

  private final ApiKeyStore keys;
  private final ReplicaTokens replicaTokens;
  private final JWTAuth issuers;
  private final Predicate<String> appDeployed;

  /**
   * @param appDeployed whether an app ({@code project/name}) is deployed, for replica tokens
   */
  public Authenticator(Vertx vertx, AuthOptions options, ApiKeyStore keys, ReplicaTokens replicaTokens,
      Predicate<String> appDeployed) {
    this.keys = keys;
    this.replicaTokens = replicaTokens;
    this.appDeployed = appDeployed;
    this.issuers = options.jwtKeys().isEmpty() ? null : JWTAuth.create(vertx, issuerOptions(options));
  }

  private static JWTAuthOptions issuerOptions(AuthOptions options) {
    JWTOptions checks = new JWTOptions().setAudience(List.of(options.audience())).setLeeway(CLOCK_SKEW_SECONDS);
    options.issuer().ifPresent(checks::setIssuer);
    JWTAuthOptions auth = new JWTAuthOptions().setJWTOptions(checks);
    for (AuthOptions.JwtKey key : options.jwtKeys()) {
      auth.addPubSecKey(new PubSecKeyOptions().setAlgorithm(key.algorithm()).setBuffer(key.material()));
    }
    return auth;
  }

  /**
   * The project the credential in an {@code Authorization} header opens, or null when it opens none (missing,
   * malformed, unknown, revoked, expired, or signed by no one this node trusts).
   */
  public String projectOf(String authorization, TokenCache cache, long nowNanos) {
    if (authorization == null) {
      return null;
    }
    // Keyed by the whole header, as it arrives on every request: a client that sends the same one pays for neither
    // the parse nor the check again.
    TokenCache.Entry cached = cache.get(authorization, nowNanos);
    if (cached != null && !cached.apiKey()) {
      return cached.appKey() != null && !appDeployed.test(cached.appKey()) ? null : cached.project();
    }
    long revocations = keys.revocations();
    if (cached != null && cached.revocations() == revocations) {
      return cached.project();
    }
    String credential = credential(authorization);
    if (credential == null) {
      return null;
    }
    if (ApiKeyStore.looksLikeKey(credential)) {
      String project = keys.projectOf(credential).orElse(null);
      if (project != null) {
        cache.put(authorization, new TokenCache.Entry(project, null, nowNanos + CACHE_NANOS, revocations));
      }
      return project;
    }
    cached = verifyToken(credential, nowNanos);
    if (cached == null) {
      return null;
    }
    cache.put(authorization, cached);
    if (cached.appKey() != null && !appDeployed.test(cached.appKey())) {
      return null;
    }
    return cached.project();
  }

  /**
   * The app a replica token names, for a header {@link #projectOf} has just accepted (it is in the cache then); null
   * for API keys, other tokens, or none.
   */
  public String callerOf(String authorization, TokenCache cache, long nowNanos) {
    if (authorization == null) {
      return null;
    }
    TokenCache.Entry cached = cache.get(authorization, nowNanos);
    return cached == null || cached.apiKey() ? null : cached.appKey();
  }

  private TokenCache.Entry verifyToken(String token, long nowNanos) {
    if (token.indexOf('.') < 0) {
      return null;
    }
    Optional<ReplicaTokens.Caller> caller = replicaTokens.verify(token);
    if (caller.isPresent()) {
      return new TokenCache.Entry(caller.get().project(), caller.get().appKey(), nowNanos + CACHE_NANOS, -1);
    }
    if (issuers == null) {
      return null;
    }
    Future<User> checked = issuers.authenticate(new TokenCredentials(token));
    if (!checked.succeeded()) {
      return null;
    }
    JsonObject claims = checked.result().principal();
    Object exp = checked.result().attributes().getValue("exp", claims.getValue("exp"));
    String project = stringClaim(claims, "project");
    if (project == null) {
      project = stringClaim(claims, "projectId");
    }
    if (project == null || !(exp instanceof Number expSeconds)) {
      return null;
    }
    long untilExpiry = TimeUnit.SECONDS.toNanos(expSeconds.longValue())
        - TimeUnit.MILLISECONDS.toNanos(System.currentTimeMillis());
    return new TokenCache.Entry(project, null, nowNanos + Math.min(CACHE_NANOS, untilExpiry), -1);
  }

  /** The token of a {@code Bearer} or {@code Api-Key} header, or null. */
  static String credential(String authorization) {
    if (authorization == null) {
      return null;
    }
    int space = authorization.indexOf(' ');
    if (space < 0) {
      return null;
    }
    String scheme = authorization.substring(0, space);
    if (!scheme.equalsIgnoreCase("Bearer") && !scheme.equalsIgnoreCase("Api-Key")) {
      return null;
    }
    String token = authorization.substring(space + 1).trim();
    return token.isEmpty() || token.length() > 8192 ? null : token;
  }

  static String stringClaim(JsonObject claims, String name) {
    return claims.getValue(name) instanceof String value && !value.isEmpty() ? value : null;
  }
}

package io.sluice.dataplane.auth;

import io.sluice.config.AppId;
import io.sluice.cluster.state.FleetMap;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.User;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * The tokens a node gives its replicas ({@code SLUICE_TOKEN}) so that one app can call another of its own project
 * through the node, as Cerebrium's apps do. A token names its app and opens that app's project only, and only while
 * the app is deployed: it carries no expiry, since a replica may run for weeks, and undeploying the app ends it.
 *
 * <p>Signed with HS256 by a key only the fleet's nodes hold, kept in the fleet's credentials.
 */
public final class ReplicaTokens {

  /** What a valid replica token says: the calling app, whose project it opens. */
  public record Caller(String project, String appKey) {}

  private static final String ISSUER = "sluice-node";
  private static final String AUDIENCE = "sluice-replica";
  private static final String SIGNING_KEY = "replica-token-key";

  private final JWTAuth jwt;

  private ReplicaTokens(JWTAuth jwt) {
    this.jwt = jwt;
  }

  /**
   * Reads the fleet's signing key, making it on first use (the first node to make one wins), so that a token works
   * through any node. A node upgraded from a single-node state folder offers its old key. Blocking.
   */
  public static ReplicaTokens open(Vertx vertx, Path stateDir, FleetMap credentials) throws IOException {
    Path legacy = stateDir.resolve("auth").resolve("replica-token.key");
    String candidate;
    if (Files.exists(legacy)) {
      candidate = Files.readString(legacy).trim();
    } else {
      byte[] bytes = new byte[48];
      new SecureRandom().nextBytes(bytes);
      candidate = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
    String secret = FleetMap.await(credentials.putIfAbsent(SIGNING_KEY, candidate));
    Files.deleteIfExists(legacy);
    JWTAuthOptions options = new JWTAuthOptions()
        .addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(secret))
        .setJWTOptions(new JWTOptions().setAlgorithm("HS256").setIssuer(ISSUER).setAudience(List.of(AUDIENCE))
            .setLeeway(Authenticator.CLOCK_SKEW_SECONDS));
    return new ReplicaTokens(JWTAuth.create(vertx, options));
  }

  public String tokenFor(AppId app) {
    return jwt.generateToken(new JsonObject().put("sub", "app:" + app.key()).put("project", app.project()));
  }

  /**
   * Whether an {@code Authorization} header carries a token this fleet signed for {@code app} itself (not another app
   * of its project): what a pod of the app presents to fetch the app's files.
   */
  public boolean admits(AppId app, String authorization) {
    String token = Authenticator.credential(authorization);
    return token != null && token.indexOf('.') > 0
        && verify(token).filter(caller -> caller.appKey().equals(app.key())).isPresent();
  }

  /** The caller a token names, when the node signed it; empty for anything else. */
  Optional<Caller> verify(String token) {
    Future<User> checked = jwt.authenticate(new TokenCredentials(token));
    if (!checked.succeeded()) {
      return Optional.empty();
    }
    JsonObject principal = checked.result().principal();
    String project = Authenticator.stringClaim(principal, "project");
    String sub = Authenticator.stringClaim(principal, "sub");
    if (project == null || sub == null || !sub.startsWith("app:" + project + "/")) {
      return Optional.empty();
    }
    return Optional.of(new Caller(project, sub.substring("app:".length())));
  }
}

package io.sluice.dataplane.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.AppId;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import io.sluice.cluster.state.FleetMap;
import io.sluice.dataplane.support.LoneHazelcast;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The credential checks without a server, on a clock the test moves. */
class AuthenticatorTest {

  private static final String SECRET = "0123456789abcdef0123456789abcdef-test";

  @TempDir
  Path state;

  private Vertx vertx;
  private LoneHazelcast fleet;
  private ApiKeyStore keys;
  private ReplicaTokens replicaTokens;
  private final Set<String> deployed = new HashSet<>();
  private Authenticator authenticator;
  private final TokenCache cache = new TokenCache();

  @BeforeEach
  void setUp() throws Exception {
    vertx = Vertx.vertx();
    fleet = new LoneHazelcast();
    FleetMap credentials = fleet.map("sluice.credentials", state.resolve("fleet"));
    keys = ApiKeyStore.over(credentials, InstantSource.system());
    FleetMap.await(credentials.start());
    replicaTokens = ReplicaTokens.open(vertx, state, credentials);
    authenticator = new Authenticator(vertx, new AuthOptions(List.of(new AuthOptions.JwtKey("HS256", SECRET)),
        "sluice", Optional.empty()), keys, replicaTokens, deployed::contains);
  }

  @AfterEach
  void tearDown() {
    vertx.close();
    fleet.close();
  }

  @Test
  void a_replica_token_opens_its_project_while_its_app_is_deployed_only() {
    deployed.add("p1/a");
    String token = replicaTokens.tokenFor(new AppId("p1", "a"));

    assertThat(authenticator.projectOf("Bearer " + token, cache, 0)).isEqualTo("p1");
    deployed.remove("p1/a");
    assertThat(authenticator.projectOf("Bearer " + token, cache, 1)).as("cached, and still refused").isNull();
  }

  @Test
  void a_replica_token_made_by_another_fleet_opens_nothing() throws Exception {
    deployed.add("p1/a");
    fleet.restart();
    FleetMap otherFleet = fleet.map("sluice.credentials", state.resolve("other-fleet"));
    FleetMap.await(otherFleet.start());
    ReplicaTokens elsewhere = ReplicaTokens.open(vertx, state.resolve("other-node"), otherFleet);

    assertThat(authenticator.projectOf("Bearer " + elsewhere.tokenFor(new AppId("p1", "a")), cache, 0)).isNull();
  }

  @Test
  void a_verified_jwt_is_cached_for_a_minute_at_most_then_checked_again() {
    long exp = System.currentTimeMillis() / 1000 + 3600;
    String token = jwt(new JsonObject().put("project", "p1").put("aud", "sluice").put("exp", exp));

    assertThat(authenticator.projectOf("Bearer " + token, cache, 0)).isEqualTo("p1");
    assertThat(cache.size()).isEqualTo(1);
    assertThat(authenticator.projectOf("Bearer " + token, cache, TimeUnit.SECONDS.toNanos(59))).isEqualTo("p1");
    assertThat(cache.get("Bearer " + token, TimeUnit.SECONDS.toNanos(61))).as("expired from the cache").isNull();
    assertThat(authenticator.projectOf("Bearer " + token, cache, TimeUnit.SECONDS.toNanos(61))).isEqualTo("p1");
  }

  @Test
  void a_token_expiring_sooner_than_a_minute_leaves_the_cache_when_it_expires() {
    long exp = System.currentTimeMillis() / 1000 + 10;
    String token = jwt(new JsonObject().put("project", "p1").put("aud", "sluice").put("exp", exp));

    authenticator.projectOf("Bearer " + token, cache, 0);

    assertThat(cache.get("Bearer " + token, TimeUnit.SECONDS.toNanos(5))).isNotNull();
    assertThat(cache.get("Bearer " + token, TimeUnit.SECONDS.toNanos(11))).isNull();
  }

  @Test
  void the_cache_stays_bounded_under_a_stream_of_distinct_tokens() {
    long exp = System.currentTimeMillis() / 1000 + 3600;
    for (int i = 0; i < TokenCache.MAX_ENTRIES + 10; i++) {
      authenticator.projectOf("Bearer " + jwt(new JsonObject().put("project", "p1").put("aud", "sluice")
          .put("exp", exp).put("n", i)), cache, 0);
    }

    assertThat(cache.size()).isLessThanOrEqualTo(TokenCache.MAX_ENTRIES);
  }

  @Test
  void a_cached_api_key_is_refused_as_soon_as_any_key_is_revoked() throws Exception {
    ApiKeyStore.Created kept = keys.create("p1", "kept");
    ApiKeyStore.Created revoked = keys.create("p1", "revoked");
    assertThat(authenticator.projectOf("Bearer " + revoked.secretKey(), cache, 0)).isEqualTo("p1");
    assertThat(authenticator.projectOf("Bearer " + kept.secretKey(), cache, 0)).isEqualTo("p1");
    assertThat(cache.size()).isEqualTo(2);

    keys.revoke("p1", revoked.key().id());

    assertThat(authenticator.projectOf("Bearer " + revoked.secretKey(), cache, 1)).isNull();
    assertThat(authenticator.projectOf("Bearer " + kept.secretKey(), cache, 1)).isEqualTo("p1");
  }

  @Test
  void headers_that_are_not_a_bearer_or_api_key_credential_open_nothing() throws Exception {
    String key = keys.create("p1", "").secretKey();

    assertThat(authenticator.projectOf("Bearer " + key, cache, 0)).isEqualTo("p1");
    assertThat(authenticator.projectOf("Api-Key " + key, cache, 0)).isEqualTo("p1");
    for (String header : new String[] {null, "", "Bearer", "Bearer ", key, "Token " + key, "Bearer  " + key + " x",
        "Bearer " + "a.b.c", "Bearer " + "x".repeat(10_000)}) {
      assertThat(authenticator.projectOf(header, cache, 0)).as(String.valueOf(header)).isNull();
    }
  }

  private String jwt(JsonObject claims) {
    return JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256")
        .setBuffer(SECRET))).generateToken(claims, new JWTOptions().setAlgorithm("HS256"));
  }
}

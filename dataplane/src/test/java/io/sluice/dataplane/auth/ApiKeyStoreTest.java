package io.sluice.dataplane.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiKeyStoreTest {

  @TempDir
  Path state;

  private final InstantSource clock = InstantSource.fixed(Instant.parse("2026-11-23T10:00:00Z"));

  @Test
  void a_key_opens_its_project_and_survives_a_restart_of_the_node() throws Exception {
    ApiKeyStore store = ApiKeyStore.open(state, clock);
    ApiKeyStore.Created created = store.create("p1", "ci");

    ApiKeyStore reopened = ApiKeyStore.open(state, clock);

    assertThat(store.projectOf(created.secretKey())).hasValue("p1");
    assertThat(reopened.projectOf(created.secretKey())).hasValue("p1");
    assertThat(reopened.list("p1")).singleElement().satisfies(key -> {
      assertThat(key.name()).isEqualTo("ci");
      assertThat(key.created()).isEqualTo(clock.instant());
      assertThat(created.secretKey()).contains(key.id());
    });
    assertThat(reopened.list("p2")).isEmpty();
  }

  @Test
  void anything_but_the_exact_key_opens_nothing() throws Exception {
    ApiKeyStore store = ApiKeyStore.open(state, clock);
    String key = store.create("p1", "").secretKey();
    String otherId = store.create("p1", "").secretKey();

    assertThat(store.projectOf(key.substring(0, key.length() - 1))).isEmpty();
    assertThat(store.projectOf(key + "x")).isEmpty();
    assertThat(store.projectOf(key.substring(0, key.length() - 1) + (key.endsWith("a") ? "b" : "a"))).isEmpty();
    assertThat(store.projectOf(otherId.substring(0, 20) + key.substring(20))).as("one key's secret, another's id")
        .isEmpty();
    assertThat(store.projectOf("sk_")).isEmpty();
    assertThat(store.projectOf("")).isEmpty();
  }

  @Test
  void a_revoked_key_stops_at_once_and_stays_revoked_after_a_restart() throws Exception {
    ApiKeyStore store = ApiKeyStore.open(state, clock);
    ApiKeyStore.Created created = store.create("p1", "");

    assertThat(store.revoke("p2", created.key().id())).as("only in its own project").isFalse();
    assertThat(store.revoke("p1", created.key().id())).isTrue();

    assertThat(store.projectOf(created.secretKey())).isEmpty();
    assertThat(ApiKeyStore.open(state, clock).projectOf(created.secretKey())).isEmpty();
    assertThat(store.revoke("p1", created.key().id())).isFalse();
  }
}

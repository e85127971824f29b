package io.sluice.dataplane.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.cluster.state.FleetMap;
import io.sluice.dataplane.support.LoneHazelcast;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ApiKeyStoreTest {

  @TempDir
  Path state;

  private final InstantSource clock = InstantSource.fixed(Instant.parse("2026-11-23T10:00:00Z"));
  private LoneHazelcast fleet;

  @BeforeEach
  void startFleet() throws Exception {
    fleet = new LoneHazelcast();
  }

  @AfterEach
  void stopFleet() {
    fleet.close();
  }

  private ApiKeyStore open() throws Exception {
    FleetMap map = fleet.map("sluice.credentials", state.resolve("fleet"));
    ApiKeyStore store = ApiKeyStore.over(map, clock);
    FleetMap.await(map.start());
    store.load(state);
    return store;
  }

  /** The same node's state folder, after every node of the fleet stopped: only the disk remembers. */
  private ApiKeyStore reopenAfterFleetRestart() throws Exception {
    fleet.restart();
    return open();
  }

  @Test
  void a_key_opens_its_project_and_survives_a_restart_of_the_node() throws Exception {
    ApiKeyStore store = open();
    ApiKeyStore.Created created = store.create("p1", "ci");

    ApiKeyStore reopened = reopenAfterFleetRestart();

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
    ApiKeyStore store = open();
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
    ApiKeyStore store = open();
    ApiKeyStore.Created created = store.create("p1", "");

    assertThat(store.revoke("p2", created.key().id())).as("only in its own project").isFalse();
    assertThat(store.revoke("p1", created.key().id())).isTrue();

    assertThat(store.projectOf(created.secretKey())).isEmpty();
    assertThat(reopenAfterFleetRestart().projectOf(created.secretKey())).isEmpty();
    assertThat(store.revoke("p1", created.key().id())).isFalse();
  }

  @Test
  void keys_of_a_single_node_state_folder_move_into_the_fleet() throws Exception {
    Files.createDirectories(state.resolve("auth"));
    Files.writeString(state.resolve("auth").resolve("api-keys.json"), """
        [{"id": "0123456789abcdef", "project": "p1", "name": "old", "created": "2026-01-01T00:00:00Z",
          "salt": "AAAAAAAAAAAAAAAAAAAAAA==", "hash": "%s"}]
        """.formatted(java.util.Base64.getEncoder().encodeToString(
        ApiKeyStore.sha256("x".repeat(43)))).replace("\n", ""));

    ApiKeyStore store = open();

    assertThat(store.list("p1")).extracting(ApiKeyStore.ApiKey::name).containsExactly("old");
    assertThat(Files.exists(state.resolve("auth").resolve("api-keys.json"))).isFalse();
    assertThat(reopenAfterFleetRestart().list("p1")).extracting(ApiKeyStore.ApiKey::name).containsExactly("old");
  }
}

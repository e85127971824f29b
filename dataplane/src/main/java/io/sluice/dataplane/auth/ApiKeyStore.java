package io.sluice.dataplane.auth;

import io.sluice.cluster.state.FleetMap;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per-project API keys. A key is {@code sk_<id>_<secret>}: the id finds the record, the secret (256 random bits) is
 * checked against a salted SHA-256 of it. Only the hash is kept, in the fleet's credentials (on every node, in memory
 * and in an owner-only file); the key itself is returned once, by {@link #create}. A fast hash is enough here because the secret is random, not a
 * password: there is nothing to guess that a slow hash would protect.
 *
 * <p>{@link #projectOf} runs on event loops and never blocks, nor leaves the node; {@link #create} and {@link #revoke}
 * wait for the fleet and must run off them. A key made or revoked on any node holds on every node.
 */
public final class ApiKeyStore {

  /** What the admin API shows of a key: never the secret, nor its hash. */
  public record ApiKey(String id, String project, String name, Instant created) {}

  /** A key just made: the only time its full text exists outside the caller's hands. */
  public record Created(ApiKey key, String secretKey) {}

  private record Stored(ApiKey key, byte[] salt, byte[] hash) {}

  private static final String PREFIX = "sk_";
  private static final int ID_HEX = 16;
  private static final int SECRET_BYTES = 32;
  private static final int SECRET_CHARS = 43;
  private static final int KEY_CHARS = PREFIX.length() + ID_HEX + 1 + SECRET_CHARS;
  private static final int SALT_BYTES = 16;
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(ApiKeyStore::sha256);

  private static final String KEY_PREFIX = "api-key/";

  private final FleetMap fleet;
  private final InstantSource clock;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, Stored> byId = new ConcurrentHashMap<>();
  /** Moves on every revocation, so that a cache of verified keys can tell it may hold a revoked one. */
  private volatile long revocations;

  private ApiKeyStore(FleetMap fleet, InstantSource clock) {
    this.fleet = fleet;
    this.clock = clock;
  }

  /**
   * The fleet's keys, kept in the fleet's credentials map (subscribe before it starts). A node upgraded from a
   * single-node state folder brings the keys of its {@code <state>/auth/api-keys.json} into the fleet. Blocking.
   */
  public static ApiKeyStore over(FleetMap fleet, InstantSource clock) {
    ApiKeyStore store = new ApiKeyStore(fleet, clock);
    fleet.subscribe(store::changed);
    return store;
  }

  /** Reads the fleet's keys once the credentials map has started; blocking. */
  void load(Path stateDir) throws IOException {
    fleet.values().forEach((key, value) -> {
      if (key.startsWith(KEY_PREFIX)) {
        Stored stored = parse(new JsonObject(value));
        byId.put(stored.key().id(), stored);
      }
    });
    Path legacy = stateDir.resolve("auth").resolve("api-keys.json");
    if (Files.exists(legacy)) {
      JsonArray keys = new JsonArray(Files.readString(legacy));
      for (int i = 0; i < keys.size(); i++) {
        Stored stored = parse(keys.getJsonObject(i));
        if (fleet.entry(KEY_PREFIX + stored.key().id()).isEmpty()) {
          write(stored);
        }
      }
      Files.move(legacy, legacy.resolveSibling("api-keys.json.in-fleet"), StandardCopyOption.REPLACE_EXISTING);
    }
  }

  /** A key made or revoked on another node. */
  private void changed(FleetMap.Entry entry) {
    if (!entry.key().startsWith(KEY_PREFIX)) {
      return;
    }
    String id = entry.key().substring(KEY_PREFIX.length());
    if (entry.removed()) {
      if (byId.remove(id) != null) {
        revocations++;
      }
    } else {
      byId.put(id, parse(new JsonObject(entry.value().get())));
    }
  }

  /** Makes a key for the project. Blocking: the key's hash is written before the key is returned. */
  public synchronized Created create(String project, String name) throws IOException {
    byte[] idBytes = new byte[ID_HEX / 2];
    random.nextBytes(idBytes);
    String id = HexFormat.of().formatHex(idBytes);
    byte[] secretBytes = new byte[SECRET_BYTES];
    random.nextBytes(secretBytes);
    String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(secretBytes);
    byte[] salt = new byte[SALT_BYTES];
    random.nextBytes(salt);
    ApiKey key = new ApiKey(id, project, name, clock.instant());
    write(new Stored(key, salt, hash(salt, secret)));
    return new Created(key, PREFIX + id + "_" + secret);
  }

  public List<ApiKey> list(String project) {
    return byId.values().stream().map(Stored::key).filter(key -> key.project().equals(project))
        .sorted(Comparator.comparing(ApiKey::created).thenComparing(ApiKey::id)).toList();
  }

  public boolean isEmpty() {
    return byId.isEmpty();
  }

  /** Revokes at once: the next request that presents the key is refused. Blocking. */
  public synchronized boolean revoke(String project, String id) throws IOException {
    Stored stored = byId.get(id);
    if (stored == null || !stored.key().project().equals(project)) {
      return false;
    }
    FleetMap.await(fleet.remove(KEY_PREFIX + id));
    byId.remove(id);
    revocations++;
    return true;
  }

  /** The project a presented key belongs to, or empty when it is not a live key. */
  public Optional<String> projectOf(String presented) {
    if (presented.length() != KEY_CHARS || !presented.startsWith(PREFIX)
        || presented.charAt(PREFIX.length() + ID_HEX) != '_') {
      return Optional.empty();
    }
    Stored stored = byId.get(presented.substring(PREFIX.length(), PREFIX.length() + ID_HEX));
    if (stored == null) {
      return Optional.empty();
    }
    byte[] hash = hash(stored.salt(), presented.substring(KEY_CHARS - SECRET_CHARS));
    return MessageDigest.isEqual(hash, stored.hash()) ? Optional.of(stored.key().project()) : Optional.empty();
  }

  long revocations() {
    return revocations;
  }

  static boolean looksLikeKey(String presented) {
    return presented.startsWith(PREFIX);
  }

  private void write(Stored stored) throws IOException {
    FleetMap.await(fleet.put(KEY_PREFIX + stored.key().id(), new JsonObject()
        .put("id", stored.key().id())
        .put("project", stored.key().project())
        .put("name", stored.key().name())
        .put("created", stored.key().created().toString())
        .put("salt", Base64.getEncoder().encodeToString(stored.salt()))
        .put("hash", Base64.getEncoder().encodeToString(stored.hash())).encode()));
    byId.put(stored.key().id(), stored);
  }

  private static Stored parse(JsonObject json) {
    ApiKey key = new ApiKey(json.getString("id"), json.getString("project"), json.getString("name"),
        Instant.parse(json.getString("created")));
    return new Stored(key, Base64.getDecoder().decode(json.getString("salt")),
        Base64.getDecoder().decode(json.getString("hash")));
  }


  private static byte[] hash(byte[] salt, String secret) {
    MessageDigest digest = SHA256.get();
    digest.reset();
    digest.update(salt);
    return digest.digest(secret.getBytes(StandardCharsets.US_ASCII));
  }

  /** SHA-256 of UTF-8 text, for the other credentials of this package. */
  static byte[] sha256(String text) {
    MessageDigest digest = SHA256.get();
    digest.reset();
    return digest.digest(text.getBytes(StandardCharsets.UTF_8));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}

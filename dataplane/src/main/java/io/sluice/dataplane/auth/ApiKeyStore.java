package io.sluice.dataplane.auth;

import io.sluice.cluster.state.OwnerOnlyFiles;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * checked against a salted SHA-256 of it. Only the hash is kept, in an owner-only file under the state folder; the
 * key itself is returned once, by {@link #create}. A fast hash is enough here because the secret is random, not a
 * password: there is nothing to guess that a slow hash would protect.
 *
 * <p>{@link #projectOf} runs on event loops and never blocks; {@link #create} and {@link #revoke} write the file and
 * must run off them.
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

  private final Path file;
  private final InstantSource clock;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, Stored> byId = new ConcurrentHashMap<>();
  /** Moves on every revocation, so that a cache of verified keys can tell it may hold a revoked one. */
  private volatile long revocations;

  private ApiKeyStore(Path file, InstantSource clock) {
    this.file = file;
    this.clock = clock;
  }

  /** Reads the keys kept under {@code <state>/auth/}. Blocking. */
  public static ApiKeyStore open(Path stateDir, InstantSource clock) throws IOException {
    ApiKeyStore store = new ApiKeyStore(stateDir.resolve("auth").resolve("api-keys.json"), clock);
    if (Files.exists(store.file)) {
      JsonArray keys = new JsonArray(Files.readString(store.file));
      for (int i = 0; i < keys.size(); i++) {
        JsonObject json = keys.getJsonObject(i);
        ApiKey key = new ApiKey(json.getString("id"), json.getString("project"), json.getString("name"),
            Instant.parse(json.getString("created")));
        store.byId.put(key.id(), new Stored(key, Base64.getDecoder().decode(json.getString("salt")),
            Base64.getDecoder().decode(json.getString("hash"))));
      }
    }
    return store;
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
    byId.put(id, new Stored(key, salt, hash(salt, secret)));
    try {
      save();
    } catch (IOException | RuntimeException e) {
      byId.remove(id);
      throw e;
    }
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
    byId.remove(id);
    revocations++;
    save();
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

  private void save() throws IOException {
    JsonArray keys = new JsonArray();
    byId.values().stream().sorted(Comparator.comparing(s -> s.key().id())).forEach(stored -> keys.add(new JsonObject()
        .put("id", stored.key().id())
        .put("project", stored.key().project())
        .put("name", stored.key().name())
        .put("created", stored.key().created().toString())
        .put("salt", Base64.getEncoder().encodeToString(stored.salt()))
        .put("hash", Base64.getEncoder().encodeToString(stored.hash()))));
    OwnerOnlyFiles.write(file, keys.encodePrettily());
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

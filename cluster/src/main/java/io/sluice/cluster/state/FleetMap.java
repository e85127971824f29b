package io.sluice.cluster.state;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small map that every node of the fleet holds whole: a Hazelcast map (with its backup) is the fleet's copy, every
 * node mirrors it in memory so that reads never leave the node, and every node keeps it on disk so that a restart of
 * the whole fleet loses nothing.
 *
 * <p>Every write carries a version and the newest version wins wherever two copies meet: two nodes writing the same key
 * at once, or a node coming back with what it had on disk. A removal is a tombstone with its own version, so that a node
 * that was away while a key was removed cannot bring it back.
 *
 * <p>All Hazelcast calls and file writes run on one thread of the map's own, in order; nothing here blocks the caller.
 * Listeners hear of changes made elsewhere (by another node, or found at start), on that thread.
 */
public final class FleetMap {

  private static final Logger log = LoggerFactory.getLogger(FleetMap.class);

  /** One key's latest version; {@code value} is empty for a removed key. */
  public record Entry(String key, long version, Optional<String> value) {

    public boolean removed() {
      return value.isEmpty();
    }

    String json() {
      JsonObject json = new JsonObject().put("key", key).put("version", version);
      value.ifPresentOrElse(v -> json.put("value", v), () -> json.put("removed", true));
      return json.encode();
    }

    static Entry parse(String json) {
      JsonObject parsed = new JsonObject(json);
      return new Entry(parsed.getString("key"), parsed.getLong("version"),
          Optional.ofNullable(parsed.getString("value")));
    }
  }

  private final IMap<String, String> map;
  private final Path folder;
  private final InstantSource clock;
  private final ExecutorService writer;
  private final Map<String, Entry> mirror = new ConcurrentHashMap<>();
  private final List<Consumer<Entry>> listeners = new CopyOnWriteArrayList<>();
  private long highestVersion;
  private UUID listenerId;

  /**
   * @param name the Hazelcast map's name, the same on every node
   * @param folder where this node keeps its copy (made readable by the node's user only)
   */
  public FleetMap(HazelcastInstance hazelcast, String name, Path folder, InstantSource clock) {
    this.map = hazelcast.getMap(name);
    this.folder = folder;
    this.clock = clock;
    this.writer = OrderedWriter.start(name);
  }

  /** Hears of every change made elsewhere; subscribe before {@link #start()} to hear the state found at start. */
  public void subscribe(Consumer<Entry> listener) {
    listeners.add(listener);
  }

  /**
   * Loads this node's copy, merges it with the fleet's (newest wins both ways), and then tells the listeners every
   * key's state, removed ones included. Completes when the merged state is known here.
   */
  public CompletableFuture<Void> start() {
    return CompletableFuture.runAsync(() -> {
      load();
      listenerId = map.addEntryListener(
          new MapChanges((key, json) -> arrived(json), (key, old) -> { }), true);
      for (Entry local : List.copyOf(mirror.values())) {
        Entry winner = offer(local, false);
        if (winner.version() > local.version()) {
          keep(winner);
        }
      }
      for (Map.Entry<String, String> fleet : map.entrySet()) {
        Entry entry = Entry.parse(fleet.getValue());
        Entry mine = mirror.get(entry.key());
        if (mine == null || entry.version() > mine.version()) {
          keep(entry);
        }
      }
      for (Entry entry : mirror.values()) {
        tell(entry);
      }
    }, writer);
  }

  /** Waits for a write to reach the fleet (or the start to finish), for callers off the event loop. */
  public static <T> T await(CompletableFuture<T> write) throws IOException {
    try {
      return write.get(30, java.util.concurrent.TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for the fleet", e);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IOException("the fleet did not answer: " + e.getMessage(), e);
    }
  }

  /** Stops listening to the fleet; the copy on disk stays. */
  public void close() {
    OrderedWriter.close(writer, map, listenerId);
  }

  /** The value of a key, as this node knows it; never a round trip. */
  public Optional<String> get(String key) {
    Entry entry = mirror.get(key);
    return entry == null ? Optional.empty() : entry.value();
  }

  /** Every key that is not removed, with its value, as this node knows them. */
  public Map<String, String> values() {
    Map<String, String> live = new LinkedHashMap<>();
    mirror.values().stream().filter(e -> !e.removed()).sorted(java.util.Comparator.comparing(Entry::key))
        .forEach(e -> live.put(e.key(), e.value().get()));
    return live;
  }

  /** The entry of a key, removed or not. */
  public Optional<Entry> entry(String key) {
    return Optional.ofNullable(mirror.get(key));
  }

  /** Writes a key for the whole fleet; completes with the entry as written, once it is in the fleet's copy. */
  public CompletableFuture<Entry> put(String key, String value) {
    return write(key, Optional.of(value));
  }

  /**
   * Writes a key for the whole fleet unless it already has a value there; completes with the value that holds, this
   * one or the one that was there first.
   */
  public CompletableFuture<String> putIfAbsent(String key, String value) {
    return CompletableFuture.supplyAsync(() -> {
      Entry mine = mirror.get(key);
      if (mine != null && !mine.removed()) {
        return mine.value().get();
      }
      Entry candidate = new Entry(key, nextVersion(), Optional.of(value));
      while (true) {
        String current = map.get(key);
        Entry existing = current == null ? null : Entry.parse(current);
        if (existing != null && !existing.removed()) {
          keep(existing);
          return existing.value().get();
        }
        if (existing != null && existing.version() >= candidate.version()) {
          seen(existing.version());
          candidate = new Entry(key, nextVersion(), Optional.of(value));
        }
        boolean won = current == null
            ? map.putIfAbsent(key, candidate.json()) == null
            : map.replace(key, current, candidate.json());
        if (won) {
          keep(candidate);
          return value;
        }
      }
    }, writer);
  }

  /** Removes a key for the whole fleet (a tombstone). */
  public CompletableFuture<Entry> remove(String key) {
    return write(key, Optional.empty());
  }

  private CompletableFuture<Entry> write(String key, Optional<String> value) {
    return CompletableFuture.supplyAsync(() -> {
      Entry written = offer(new Entry(key, nextVersion(), value), true);
      keep(written);
      return written;
    }, writer);
  }

  private long nextVersion() {
    highestVersion = Math.max(clock.millis(), highestVersion + 1);
    return highestVersion;
  }

  /**
   * Puts an entry in the fleet's copy unless the fleet has a newer one: a compare-and-set loop, so that two nodes
   * writing at once both end up with the same winner. A fresh write (one made now, not one found on disk) is the last
   * word: it goes on top of whatever it raced with. Returns the winner.
   */
  private Entry offer(Entry entry, boolean fresh) {
    Entry candidate = entry;
    while (true) {
      String current = map.get(candidate.key());
      if (current == null) {
        if (map.putIfAbsent(candidate.key(), candidate.json()) == null) {
          return candidate;
        }
        continue;
      }
      Entry existing = Entry.parse(current);
      seen(existing.version());
      if (existing.version() >= candidate.version()) {
        if (!fresh) {
          return existing;
        }
        candidate = new Entry(entry.key(), nextVersion(), entry.value());
        continue;
      }
      if (map.replace(candidate.key(), current, candidate.json())) {
        return candidate;
      }
    }
  }

  private void seen(long version) {
    highestVersion = Math.max(highestVersion, version);
  }

  /** Takes an entry as this node's copy: in memory and on disk. */
  private void keep(Entry entry) {
    seen(entry.version());
    mirror.put(entry.key(), entry);
    try {
      OwnerOnlyFiles.write(fileOf(entry.key()), entry.json());
    } catch (IOException e) {
      log.error("Could not keep {} on disk in {}: {}", entry.key(), folder, e.toString());
    }
  }

  private void tell(Entry entry) {
    for (Consumer<Entry> listener : listeners) {
      try {
        listener.accept(entry);
      } catch (RuntimeException e) {
        log.error("A listener failed on {}", entry.key(), e);
      }
    }
  }

  private Path fileOf(String key) {
    return folder.resolve(HexFormat.of().formatHex(key.getBytes(StandardCharsets.UTF_8)) + ".json");
  }

  private void load() {
    if (!Files.isDirectory(folder)) {
      return;
    }
    try (Stream<Path> files = Files.list(folder)) {
      for (Path file : files.filter(f -> f.getFileName().toString().endsWith(".json")).toList()) {
        try {
          Entry entry = Entry.parse(Files.readString(file));
          mirror.put(entry.key(), entry);
          seen(entry.version());
        } catch (IOException | RuntimeException e) {
          log.error("Skipping {}: not an entry of the fleet's state ({})", file, e.toString());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * A change from the fleet, handed to the map's own thread; one this node made itself is no news. (A removal is a
   * tombstone, written as any change.)
   */
  private void arrived(String json) {
    writer.execute(() -> {
      Entry entry = Entry.parse(json);
      Entry mine = mirror.get(entry.key());
      if (mine == null || entry.version() > mine.version()) {
        keep(entry);
        tell(entry);
      }
    });
  }
}

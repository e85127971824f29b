package io.sluice.cluster.state;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Files the whole fleet needs (deployed apps' archives), named by the SHA-256 of their content: the fleet's copy is a
 * Hazelcast map with its backup, and every node that used a file keeps it on disk, so that a restart of the whole fleet
 * still has it. A file fetched from the fleet is checked against its name before it is used.
 *
 * <p>Blocking work runs on the executor given; nothing here blocks the caller.
 */
public final class FleetBlobs {

  private final IMap<String, byte[]> map;
  private final Path folder;
  private final Executor blocking;

  public FleetBlobs(HazelcastInstance hazelcast, String name, Path folder, Executor blocking) {
    this.map = hazelcast.getMap(name);
    this.folder = folder;
    this.blocking = blocking;
  }

  /** Stores a file for the fleet; completes with its digest once the fleet has it. */
  public CompletableFuture<String> put(byte[] content) {
    return CompletableFuture.supplyAsync(() -> {
      String digest = sha256(content);
      keep(digest, content);
      map.set(digest, content);
      return digest;
    }, blocking);
  }

  /** The file with this digest on this node's disk, fetched from the fleet first when this node lacks it. */
  public CompletableFuture<Path> fetch(String digest) {
    return CompletableFuture.supplyAsync(() -> {
      Path local = fileOf(digest);
      if (Files.exists(local)) {
        return local;
      }
      byte[] content = map.get(digest);
      if (content == null) {
        throw new IllegalStateException("no node of the fleet has the archive " + digest
            + "; deploy the app again");
      }
      if (!sha256(content).equals(digest)) {
        throw new IllegalStateException("the fleet's copy of archive " + digest + " does not match its digest");
      }
      keep(digest, content);
      return local;
    }, blocking);
  }

  /** Gives the fleet this node's copy of a file it lacks (after a restart of the whole fleet). */
  public CompletableFuture<Void> republish(String digest) {
    return CompletableFuture.runAsync(() -> {
      Path local = fileOf(digest);
      if (Files.exists(local) && !map.containsKey(digest)) {
        try {
          map.set(digest, Files.readAllBytes(local));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }, blocking);
  }

  /** Drops a file nothing refers to any more, from this node and from the fleet. */
  public CompletableFuture<Void> forget(String digest) {
    return CompletableFuture.runAsync(() -> {
      try {
        Files.deleteIfExists(fileOf(digest));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      map.delete(digest);
    }, blocking);
  }

  private void keep(String digest, byte[] content) {
    try {
      Files.createDirectories(folder);
      Path next = Files.createTempFile(folder, ".incoming-", ".part");
      Files.write(next, content);
      Files.move(next, fileOf(digest), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Path fileOf(String digest) {
    if (!digest.matches("[0-9a-f]{64}")) {
      throw new IllegalArgumentException("not a SHA-256 digest: " + digest);
    }
    return folder.resolve(digest);
  }

  public static String sha256(byte[] content) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java has SHA-256", e);
    }
  }
}

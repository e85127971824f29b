package io.sluice.cluster.state;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The one thread of a fleet structure (a fleet map, the registry, the load): it runs the structure's Hazelcast calls
 * and file writes in order, off every caller's thread.
 */
public final class OrderedWriter {

  private OrderedWriter() {}

  public static ExecutorService start(String name) {
    return Executors.newSingleThreadExecutor(runnable -> {
      Thread thread = new Thread(runnable, "sluice-fleet-" + name);
      thread.setDaemon(true);
      return thread;
    });
  }

  /**
   * Stops listening to the fleet's membership first, so that nothing is handed to the thread once it has stopped (a
   * closed registry must not be the one that cleans up after a member that left), then as {@link #close(ExecutorService,
   * IMap, UUID)}.
   */
  public static void close(ExecutorService writer, IMap<?, ?> map, UUID listener, HazelcastInstance hazelcast,
      UUID membershipListener) {
    try {
      if (membershipListener != null) {
        hazelcast.getCluster().removeMembershipListener(membershipListener);
      }
    } catch (RuntimeException e) {
      // The fleet is already gone.
    }
    close(writer, map, listener);
  }

  /** Stops listening to the map, then ends the thread; a fleet that is already gone has nothing left to stop. */
  public static void close(ExecutorService writer, IMap<?, ?> map, UUID listener) {
    CompletableFuture.runAsync(() -> {
      try {
        if (listener != null) {
          map.removeEntryListener(listener);
        }
      } catch (RuntimeException e) {
        // The fleet is already gone.
      }
    }, writer).whenComplete((done, failure) -> writer.shutdown());
  }
}

package io.sluice.cluster.state;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryExpiredListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import java.util.function.BiConsumer;

/**
 * What a fleet structure hears of its Hazelcast map, as two callbacks: a key written (added or updated, with its new
 * value) and a key gone (removed or expired, with its last value, null when Hazelcast does not have it). Register with
 * {@code includeValue} true.
 */
public final class MapChanges implements EntryAddedListener<String, String>, EntryUpdatedListener<String, String>,
    EntryRemovedListener<String, String>, EntryExpiredListener<String, String> {

  private final BiConsumer<String, String> written;
  private final BiConsumer<String, String> gone;
  private final boolean othersOnly;

  public MapChanges(BiConsumer<String, String> written, BiConsumer<String, String> gone) {
    this(written, gone, false);
  }

  private MapChanges(BiConsumer<String, String> written, BiConsumer<String, String> gone, boolean othersOnly) {
    this.written = written;
    this.gone = gone;
    this.othersOnly = othersOnly;
  }

  /**
   * Hears only of keys written by other members (the event's member is the one whose call wrote it), and of every key
   * gone. For a structure that holds its own writes already: Hazelcast tells a member of its own writes too, and
   * parsing them back each tick cost CPU for nothing and kept the JSON parser compiling (2.2-2.6 s of C2) minutes into
   * a node's life, on the core its event loop serves from.
   */
  public static MapChanges fromOthers(BiConsumer<String, String> written, BiConsumer<String, String> gone) {
    return new MapChanges(written, gone, true);
  }

  @Override
  public void entryAdded(EntryEvent<String, String> event) {
    if (!othersOnly || !event.getMember().localMember()) {
      written.accept(event.getKey(), event.getValue());
    }
  }

  @Override
  public void entryUpdated(EntryEvent<String, String> event) {
    entryAdded(event);
  }

  @Override
  public void entryRemoved(EntryEvent<String, String> event) {
    gone.accept(event.getKey(), event.getOldValue());
  }

  @Override
  public void entryExpired(EntryEvent<String, String> event) {
    gone.accept(event.getKey(), event.getOldValue());
  }
}

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

  public MapChanges(BiConsumer<String, String> written, BiConsumer<String, String> gone) {
    this.written = written;
    this.gone = gone;
  }

  @Override
  public void entryAdded(EntryEvent<String, String> event) {
    written.accept(event.getKey(), event.getValue());
  }

  @Override
  public void entryUpdated(EntryEvent<String, String> event) {
    written.accept(event.getKey(), event.getValue());
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

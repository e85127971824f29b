package io.sluice.dataplane.replica.local;

import io.sluice.config.AppId;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who follows which app's replica logs on this node. Lines are handed over on the thread that read them, so a
 * follower's sink must only queue them (see {@link FollowerBuffer}), never block or write to a socket.
 */
public final class LogFollowers {

  private static final Logger log = LoggerFactory.getLogger(LogFollowers.class);

  private final Map<AppId, List<Follower>> byApp = new ConcurrentHashMap<>();

  /** A follower of a live log; closing it stops the lines. */
  public interface Subscription extends AutoCloseable {
    @Override
    void close();
  }

  private record Follower(String replica, Consumer<LogLine> sink) {}

  /** Every line of the app's replicas from now on, or of the one replica named ({@code replica} null: all). */
  public Subscription follow(AppId app, String replica, Consumer<LogLine> sink) {
    Follower follower = new Follower(replica, sink);
    byApp.compute(app, (a, followers) -> {
      List<Follower> joined = followers == null ? new CopyOnWriteArrayList<>() : followers;
      joined.add(follower);
      return joined;
    });
    return () -> byApp.computeIfPresent(app, (a, followers) -> {
      followers.remove(follower);
      return followers.isEmpty() ? null : followers;
    });
  }

  void publish(AppId app, LogLine line) {
    List<Follower> followers = byApp.get(app);
    if (followers == null) {
      return;
    }
    for (Follower follower : followers) {
      if (follower.replica() == null || follower.replica().equals(line.replica())) {
        try {
          follower.sink().accept(line);
        } catch (RuntimeException e) {
          log.warn("A follower of {} failed to take a line: {}", app, e.toString());
        }
      }
    }
  }
}

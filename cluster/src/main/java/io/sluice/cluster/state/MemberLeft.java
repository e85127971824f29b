package io.sluice.cluster.state;

import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import java.util.function.Consumer;

/** Hears of members that leave the fleet (or die), by their id; members that join are no news to a mirror. */
public final class MemberLeft implements MembershipListener {

  private final Consumer<String> left;

  public MemberLeft(Consumer<String> left) {
    this.left = left;
  }

  @Override
  public void memberAdded(MembershipEvent event) {
  }

  @Override
  public void memberRemoved(MembershipEvent event) {
    left.accept(event.getMember().getUuid().toString());
  }
}

# Sourced by the benchmarks under bench/ that measure proxies side by side on a core of their own.
#
# The proxy core serves the target under load alone: the other proxies wait on the load core meanwhile, so that their
# idle work (a JVM's timers, Hazelcast's and compiler threads, nginx's timers) does not preempt the one measured, whose
# own background work stays on the core with it. With no proxy under load (direct, or none), they all wait on the
# proxy core, where they disturb nobody. Every thread is moved (taskset -a), and again at each call: a JVM starts
# threads as it goes, and they inherit the core of the thread that started them.
#
# Needs: PROXY_TARGETS (the names of the targets that are proxies), a `proxy_pids TARGET` function, pin_proxy (empty
# when nothing is pinned), LOAD_CPUS, PROXY_CPUS and a `log` function.

# proxy_core_to TARGET: gives the proxy core to TARGET's processes alone.
proxy_core_to() {
  [ ${#pin_proxy[@]} -gt 0 ] || return 0
  local t pid cpus measured=0
  for t in $PROXY_TARGETS; do
    [ "$t" = "$1" ] && measured=1
  done
  for t in $PROXY_TARGETS; do
    cpus="$LOAD_CPUS"
    if [ "$t" = "$1" ] || [ "$measured" = 0 ]; then
      cpus="$PROXY_CPUS"
    fi
    for pid in $(proxy_pids "$t"); do
      # A thread that ends while taskset walks the process's threads fails the call: try again.
      taskset -a -p -c "$cpus" "$pid" >/dev/null 2>&1 || taskset -a -p -c "$cpus" "$pid" >/dev/null 2>&1 \
        || taskset -a -p -c "$cpus" "$pid" >/dev/null || log "WARNING: $t (pid $pid) not moved to CPU $cpus"
    done
  done
}

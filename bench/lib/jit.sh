# Sourced by the benchmarks under bench/: load a JVM until its JIT compiler has settled, before anything is measured.
#
# A JVM pinned to one core compiles on the core it serves from: while a compiler thread runs, the event loop waits
# for the CPU in scheduler slices of milliseconds, which is what a p99 sees. On this 2-core machine a node under load
# still spent 0.5-1 s of every 10 s compiling after a minute, and about 0.1-0.3 s only after two; p99 tracked it.
# Even 0.1-0.3 s per 10 s shows at 256 connections, where one compiler slice stalls every request in flight: in an
# interleaved run against nginx after four minutes of load, rounds in which C2 used 0.3-0.45 s of CPU had a p99 of
# 23-31 ms against nginx's 16-17 ms, and rounds under 0.1 s had nginx's p99 (15-17 ms). The benchmarks measure a node
# as it runs in production, for days, not in its first minutes, and they say how long the settling took and what the
# JIT still spent while they measured, so that a run that never settled shows. (Those figures are from before
# bin/jvm.options put the compiler threads at nice 10, where they take what the loop leaves idle and about a tenth of
# a busy core: code still waiting for its compiler is slower, so the settling is still needed.)
#
# Needs: SETTLE_MAX (seconds, 0 for none), SETTLE_SLICE (seconds), SETTLE_FRACTION (e.g. 0.005), SETTLE_CALM (how
# many calm slices in a row; default 2) and a `log` function.

# jit_seconds PID: the CPU time the JVM's compiler threads used so far, in seconds. Not jstat -compiler's Time: that
# counts a compilation's wall time, which grows while a compiler thread at nice 10 (bin/jvm.options) waits for the
# CPU, not what the compiler took from the event loop. A compiler thread the JVM ends takes its CPU time along; the
# first C1 and the first C2 thread live as long as the JVM, and a JVM pinned to one core has no others.
jit_seconds() {
  local task ticks=0
  for task in /proc/"$1"/task/*; do
    case "$(cat "$task/comm" 2>/dev/null)" in
      C1\ CompilerThre*|C2\ CompilerThre*)
        # utime and stime are the 14th and 15th fields; the 2nd, the thread's name in parentheses, holds spaces.
        ticks=$((ticks + $(sed 's/^.*) //' "$task/stat" 2>/dev/null | awk '{print $12 + $13}'))) ;;
    esac
  done
  awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", t / hz}'
}

# jit_spent BEFORE AFTER: the difference of two jit_seconds readings, as "0.00".
jit_spent() {
  awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b - a}'
}

# settle_jit NAME PID LOAD: calls `LOAD SECONDS SLICE_NUMBER` (1, 2, ...; the caller varies the load by it) until
# SETTLE_CALM slices in a row spent less than SETTLE_FRACTION of their time compiling, or SETTLE_MAX seconds passed.
# A caller whose load cycles through several cases sets SETTLE_CALM to their number, so that each case was calm. Appends
# "NAME settled after N s (...)" or "NAME NOT settled ..." to SETTLED_NOTE.
SETTLED_NOTE=""
settle_jit() {
  local name="$1" pid="$2" load="$3" started="$SECONDS" calm=0 slice=0 before spent="-"
  local needed="${SETTLE_CALM:-2}"
  while [ "$calm" -lt "$needed" ] && [ $((SECONDS - started)) -lt "$SETTLE_MAX" ]; do
    slice=$((slice + 1))
    before="$(jit_seconds "$pid")"
    "$load" "$SETTLE_SLICE" "$slice"
    spent="$(jit_spent "$before" "$(jit_seconds "$pid")")"
    if awk -v s="$spent" -v t="$SETTLE_SLICE" -v f="$SETTLE_FRACTION" 'BEGIN {exit !(s < t * f)}'; then
      calm=$((calm + 1))
    else
      calm=0
    fi
    log "settling $name: ${spent}s of JIT in slice $slice (${SETTLE_SLICE}s)"
  done
  local verdict="settled"
  [ "$calm" -lt "$needed" ] && verdict="NOT settled"
  SETTLED_NOTE="${SETTLED_NOTE:+$SETTLED_NOTE; }$name $verdict after $((SECONDS - started)) s (last slice ${spent} s of JIT)"
}

# The rule, in words, for a report's header.
settle_rule() {
  echo "${SETTLE_SLICE}s slices of load until ${SETTLE_CALM:-2} in a row spent under $(awk -v f="$SETTLE_FRACTION" \
    'BEGIN {printf "%g", f * 100}') % of their time compiling, at most ${SETTLE_MAX}s"
}

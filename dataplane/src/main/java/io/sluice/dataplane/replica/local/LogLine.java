package io.sluice.dataplane.replica.local;

import io.vertx.core.json.JsonObject;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.LocalDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Objects;

/**
 * One line of a replica's log: which replica, which stream, when the node read it (to the millisecond), and its text
 * without the line break.
 *
 * <p>On disk a line is {@code 2025-01-31T09:15:02.120Z stdout listening on 0.0.0.0:5000}: a fixed-width UTC time,
 * the stream, the text. The time is when the node read the line from the replica's pipe, which is within
 * milliseconds of when the replica wrote it unless the replica buffers its output itself (Python does when stdout is
 * not a terminal: {@code print(..., flush=True)} or {@code PYTHONUNBUFFERED=1}).
 *
 * @param time null only for a line from before lines were stamped
 */
public record LogLine(String replica, LogStream stream, Instant time, String text) {

  private static final int TIME_CHARS = 24;

  public LogLine {
    Objects.requireNonNull(replica, "replica");
    Objects.requireNonNull(stream, "stream");
    Objects.requireNonNull(text, "text");
    // What is written is what is read back: the time to the millisecond, one line.
    time = time == null ? null : time.truncatedTo(ChronoUnit.MILLIS);
    if (text.indexOf('\n') >= 0) {
      text = text.replace('\n', ' ');
    }
  }

  /** The line as it is stored, without its line break. */
  public String diskLine() {
    return (time == null ? "-" : format(time)) + " " + stream.label() + " " + text;
  }

  /** A line as read back from the replica's log; one without a time and stream is kept whole as {@code output}. */
  public static LogLine parse(String replica, String stored) {
    int streamEnd = stored.indexOf(' ', TIME_CHARS + 1);
    if (stored.length() > TIME_CHARS && stored.charAt(TIME_CHARS) == ' ' && stored.charAt(TIME_CHARS - 1) == 'Z'
        && streamEnd > 0) {
      LogStream stream = LogStream.ofLabel(stored.substring(TIME_CHARS + 1, streamEnd));
      if (stream != null) {
        try {
          return new LogLine(replica, stream, Instant.parse(stored.substring(0, TIME_CHARS)),
              stored.substring(streamEnd + 1));
        } catch (DateTimeException notATime) {
          // Not one of ours: kept whole below.
        }
      }
    }
    return new LogLine(replica, LogStream.OUTPUT, null, stored);
  }

  /** As a server-sent event's data: {@code {"replica", "stream", "time", "text"}}. */
  public JsonObject json() {
    return new JsonObject().put("replica", replica).put("stream", stream.label())
        .put("time", time == null ? null : format(time)).put("text", text);
  }

  /** A line as {@link #json()} wrote it, from another node; an unknown stream is kept as {@code output}. */
  public static LogLine fromJson(JsonObject json) {
    LogStream stream = LogStream.ofLabel(json.getString("stream", ""));
    String time = json.getString("time");
    return new LogLine(json.getString("replica"), stream == null ? LogStream.OUTPUT : stream,
        time == null ? null : Instant.parse(time), json.getString("text", ""));
  }

  /**
   * {@code 2025-01-31T09:15:02.120Z}, always 24 characters (years 0 to 9999), unlike {@link Instant#toString()};
   * by hand, as {@link java.time.format.DateTimeFormatter} takes microseconds a line through its fractions.
   */
  static String format(Instant time) {
    LocalDateTime utc = LocalDateTime.ofEpochSecond(time.getEpochSecond(), time.getNano(), ZoneOffset.UTC);
    StringBuilder text = new StringBuilder(TIME_CHARS);
    pad(text, utc.getYear(), 4).append('-');
    pad(text, utc.getMonthValue(), 2).append('-');
    pad(text, utc.getDayOfMonth(), 2).append('T');
    pad(text, utc.getHour(), 2).append(':');
    pad(text, utc.getMinute(), 2).append(':');
    pad(text, utc.getSecond(), 2).append('.');
    return pad(text, time.getNano() / 1_000_000, 3).append('Z').toString();
  }

  private static StringBuilder pad(StringBuilder to, int value, int digits) {
    String number = Integer.toString(value);
    for (int i = number.length(); i < digits; i++) {
      to.append('0');
    }
    return to.append(number);
  }
}

package io.sluice.dataplane.records;

import io.netty.buffer.ByteBuf;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The start of one request's and its answer's bodies, with their headers, kept for its record when the app turns
 * payload capture on. Credentials never stay: {@code Authorization}, cookies and the like are replaced by
 * {@value #REDACTED}, and so is every value of the project's secrets wherever it shows up. A body that is not UTF-8
 * text is kept as its size only.
 */
public final class CapturedPayload {

  public static final String REDACTED = "[redacted]";
  /** Secret values shorter than this are not searched for: they would redact ordinary words. */
  private static final int MIN_SECRET_CHARS = 4;
  private static final Set<String> CREDENTIAL_HEADERS = Set.of("authorization", "proxy-authorization", "cookie",
      "set-cookie", "x-api-key", "api-key");

  private final int maxBytes;
  private final Part request;
  private final Part response = new Part();

  public CapturedPayload(int maxBytes, Iterable<Map.Entry<String, String>> requestHeaders) {
    this.maxBytes = maxBytes;
    this.request = new Part();
    request.headers(requestHeaders);
  }

  public void requestBody(ByteBuf chunk) {
    request.body(chunk, maxBytes);
  }

  public void responseHeaders(Iterable<Map.Entry<String, String>> headers) {
    response.headers(headers);
  }

  public void responseBody(ByteBuf chunk) {
    response.body(chunk, maxBytes);
  }

  /** Bytes of body kept, both ways: what the record's ring counts against its bound. */
  public int keptBytes() {
    return request.kept + response.kept;
  }

  /** The payload as a record shows it, with {@code secrets} (the project's secret values) redacted. */
  public JsonObject json(Collection<String> secrets) {
    List<String> redact = secrets.stream().filter(value -> value.length() >= MIN_SECRET_CHARS).toList();
    return new JsonObject().put("request", request.json(redact)).put("response", response.json(redact))
        .put("kept_bytes", keptBytes()).put("max_bytes", maxBytes);
  }

  private static final class Part {
    private final List<Map.Entry<String, String>> headers = new ArrayList<>();
    private byte[] body = new byte[0];
    private int kept;
    private long total;
    private boolean seen;

    void headers(Iterable<Map.Entry<String, String>> from) {
      seen = true;
      for (Map.Entry<String, String> header : from) {
        headers.add(Map.entry(header.getKey().toLowerCase(), CREDENTIAL_HEADERS.contains(header.getKey().toLowerCase())
            ? REDACTED : header.getValue()));
      }
    }

    void body(ByteBuf chunk, int maxBytes) {
      int readable = chunk.readableBytes();
      total += readable;
      int take = Math.min(readable, maxBytes - kept);
      if (take <= 0) {
        return;
      }
      if (body.length < kept + take) {
        body = java.util.Arrays.copyOf(body, Math.min(maxBytes, Math.max(kept + take, body.length * 2)));
      }
      chunk.getBytes(chunk.readerIndex(), body, kept, take);
      kept += take;
    }

    JsonObject json(List<String> secrets) {
      if (!seen && total == 0) {
        return null;
      }
      JsonObject headerJson = new JsonObject();
      for (Map.Entry<String, String> header : headers) {
        String value = redact(header.getValue(), secrets);
        String prior = headerJson.getString(header.getKey());
        headerJson.put(header.getKey(), prior == null ? value : prior + ", " + value);
      }
      JsonObject json = new JsonObject().put("headers", headerJson).put("body_bytes", total)
          .put("truncated", total > kept);
      String text = text(body, kept);
      if (text == null) {
        json.put("binary", true);
      } else {
        json.put("body", redact(text, secrets));
      }
      return json;
    }
  }

  private static String redact(String text, List<String> secrets) {
    String result = text;
    for (String secret : secrets) {
      if (result.contains(secret)) {
        result = result.replace(secret, REDACTED);
      }
    }
    return result;
  }

  /** The bytes as UTF-8 text, allowing a character cut at the end by the limit; null when they are not text. */
  private static String text(byte[] bytes, int length) {
    for (int cut = 0; cut <= Math.min(3, length); cut++) {
      try {
        String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes, 0, length - cut))
            .toString();
        return text.indexOf('\0') >= 0 ? null : text;
      } catch (CharacterCodingException notYet) {
        // Try again without the last bytes: the limit may have cut a character in two.
      }
    }
    return null;
  }
}

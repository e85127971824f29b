package io.sluice.dataplane.runs;

import io.sluice.cluster.runs.RunRecord;
import io.sluice.cluster.state.FleetMap;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Tells a caller's webhook how its run ended: a POST of the run's outcome and result as JSON, signed so that the
 * receiver can tell it came from this fleet and is fresh.
 *
 * <p>The signature, in {@code X-Sluice-Signature: t=<unix seconds>,v1=<hex>}, is HMAC-SHA256 over
 * {@code "<t>.<body>"} with the project's webhook secret (one per project, made on first use, kept with the fleet's
 * credentials; the admin API shows it). A receiver recomputes it and rejects a timestamp too old, as with Stripe's
 * webhooks.
 */
public final class Webhooks {

  public static final String SIGNATURE_HEADER = "X-Sluice-Signature";
  private static final String SECRET_PREFIX = "webhook-secret/";

  private final HttpClient http;
  private final FleetMap credentials;

  public Webhooks(HttpClient http, FleetMap credentials) {
    this.http = http;
    this.credentials = credentials;
  }

  /** The project's webhook secret, made on first use (blocking when it has to be made). */
  public String secret(String project) {
    Optional<String> known = credentials.get(SECRET_PREFIX + project);
    if (known.isPresent()) {
      return known.get();
    }
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    try {
      return FleetMap.await(credentials.putIfAbsent(SECRET_PREFIX + project,
          "whsec_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes)));
    } catch (java.io.IOException e) {
      throw new IllegalStateException("the webhook secret of project " + project + " could not be stored", e);
    }
  }

  /** {@code t=<seconds>,v1=<hex HMAC-SHA256 of "<seconds>.<body>">}. */
  public static String signature(String secret, long epochSeconds, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      mac.update((epochSeconds + ".").getBytes(StandardCharsets.US_ASCII));
      return "t=" + epochSeconds + ",v1=" + HexFormat.of().formatHex(mac.doFinal(body));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
    }
  }

  /** The webhook's body: the run as callers see it, with its result body (text as it is, else base64). */
  public static JsonObject payload(RunRecord run, byte[] resultBody) {
    JsonObject payload = run.view();
    JsonObject result = payload.getJsonObject("result");
    if (result != null && resultBody != null) {
      Optional<String> text = utf8(resultBody);
      if (text.isPresent()) {
        result.put("body", text.get());
      } else {
        result.put("body", Base64.getEncoder().encodeToString(resultBody)).put("body_encoding", "base64");
      }
    }
    return payload;
  }

  /** Posts it; succeeds with the receiver's status (any), fails when it could not be reached. */
  public Future<Integer> deliver(RunRecord run, byte[] body, String secret, long epochSeconds) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(run.webhookUrl())
        .setTimeout(10_000)
        .putHeader("content-type", "application/json")
        .putHeader("x-sluice-run-id", run.id())
        .putHeader(SIGNATURE_HEADER, signature(secret, epochSeconds, body));
    return http.request(options)
        .compose(request -> request.send(Buffer.buffer(body)))
        .compose(response -> response.body().map(ignored -> response.statusCode()));
  }

  private static Optional<String> utf8(byte[] bytes) {
    try {
      return Optional.of(StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString());
    } catch (CharacterCodingException notText) {
      return Optional.empty();
    }
  }
}

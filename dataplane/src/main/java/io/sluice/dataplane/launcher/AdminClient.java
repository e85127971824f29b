package io.sluice.dataplane.launcher;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/** The CLI's way to a node's admin API. Blocking: the CLI is a plain program, not an event loop. */
final class AdminClient {

  record Answer(int status, String body) {
    JsonObject json() {
      return new JsonObject(body);
    }

    boolean ok() {
      return status / 100 == 2;
    }

    /** This answer if it is a success; else fails the command with the node's error message (exit code 1). */
    Answer orFail() {
      if (!ok()) {
        throw new CommandFailed(errorMessage());
      }
      return this;
    }

    /** The {@code error.message} of a JSON error, else the body. */
    String errorMessage() {
      try {
        return json().getJsonObject("error").getString("message");
      } catch (RuntimeException notJson) {
        return body;
      }
    }
  }

  private final URI base;
  private final String adminToken;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** @param adminToken the admin API's credential, or null when none was found (the node will answer 401) */
  AdminClient(String baseUrl, String adminToken) {
    this.base = URI.create(baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl);
    this.adminToken = adminToken;
  }

  URI base() {
    return base;
  }

  Answer get(String path) throws IOException {
    return send(HttpRequest.newBuilder(uri(path)).GET());
  }

  Answer delete(String path) throws IOException {
    return send(HttpRequest.newBuilder(uri(path)).DELETE());
  }

  Answer post(String path, String json) throws IOException {
    return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  Answer put(String path, String body) throws IOException {
    return send(HttpRequest.newBuilder(uri(path)).PUT(HttpRequest.BodyPublishers.ofString(body)));
  }

  Answer postFile(String path, Path file, String contentType) throws IOException {
    return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofFile(file)));
  }

  /**
   * Opens a long answer to read as it comes (server-sent events): no time limit once the head has arrived. The
   * caller closes the body.
   */
  HttpResponse<InputStream> stream(String path) throws IOException {
    HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).header("Accept", "text/event-stream").GET();
    if (adminToken != null) {
      request.header("Authorization", "Bearer " + adminToken);
    }
    try {
      HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
      if (response.statusCode() == 401) {
        response.body().close();
        throw new CommandFailed("the node at " + base + " refused the admin token"
            + (adminToken == null ? " (none found: pass --state DIR of the node, or set SLUICE_ADMIN_TOKEN)" : ""));
      }
      return response;
    } catch (ConnectException e) {
      throw new IOException("no Sluice node answers at " + base + " (start one with `bin/sluice up`, or pass --node)",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }

  static String query(String key, String value) {
    return key + "=" + URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  private URI uri(String path) {
    return URI.create(base + path);
  }

  private Answer send(HttpRequest.Builder request) throws IOException {
    if (adminToken != null) {
      request.header("Authorization", "Bearer " + adminToken);
    }
    try {
      HttpResponse<String> response = http.send(request.timeout(Duration.ofMinutes(5)).build(),
          HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() == 401) {
        throw new CommandFailed("the node at " + base + " refused the admin token"
            + (adminToken == null ? " (none found: pass --state DIR of the node, or set SLUICE_ADMIN_TOKEN)" : ""));
      }
      return new Answer(response.statusCode(), response.body());
    } catch (ConnectException e) {
      throw new IOException("no Sluice node answers at " + base + " (start one with `bin/sluice up`, or pass --node)",
          e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}

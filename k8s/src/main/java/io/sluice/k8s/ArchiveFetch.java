package io.sluice.k8s;

import io.sluice.config.AppId;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where a pod of an app that Sluice runs from its files (a {@code cerebrium.toml} app: no image of its own) fetches
 * them when it starts: the fleet's admin API, which serves every deployed version's archive at
 * {@code GET /v1/apps/{project}/{app}/archive?version=N} to the app's replica token.
 *
 * @param fleetUrl the admin API as pods reach it, e.g. {@code http://sluice-admin.sluice.svc:9090}, no trailing
 *     {@code /}
 * @param tokenKey the key of the app's Secret ({@link AppObjects#secretName}) that holds the token the pod fetches
 *     with; the token reaches the pod through {@code secretKeyRef}, never as a plain value in the pod spec
 */
public record ArchiveFetch(String fleetUrl, String tokenKey) {

  /** The Secret key that the provider fills with the app's replica token unless told otherwise. */
  public static final String DEFAULT_TOKEN_KEY = "sluice-fetch-token";

  private static final Pattern SECRET_KEY = Pattern.compile("[-._a-zA-Z0-9]+");

  public ArchiveFetch {
    Objects.requireNonNull(fleetUrl, "fleetUrl");
    Objects.requireNonNull(tokenKey, "tokenKey");
    URI uri;
    try {
      uri = new URI(fleetUrl);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("fleetUrl: " + fleetUrl + " (expected: an http:// or https:// URL of the"
          + " fleet's admin API, e.g. http://sluice-admin.sluice.svc:9090)");
    }
    if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null
        || fleetUrl.endsWith("/") || uri.getQuery() != null || uri.getFragment() != null) {
      throw new IllegalArgumentException("fleetUrl: " + fleetUrl + " (expected: an http:// or https:// URL of the"
          + " fleet's admin API without a trailing '/', query or fragment, e.g. http://sluice-admin.sluice.svc:9090)");
    }
    if (!SECRET_KEY.matcher(tokenKey).matches()) {
      throw new IllegalArgumentException("tokenKey: " + tokenKey + " (expected: a Secret key: letters, digits, '-',"
          + " '_' or '.')");
    }
  }

  /** The fleet's admin API at {@code fleetUrl}, the token under {@link #DEFAULT_TOKEN_KEY}. */
  public static ArchiveFetch from(String fleetUrl) {
    return new ArchiveFetch(fleetUrl, DEFAULT_TOKEN_KEY);
  }

  /** Where the archive of one version of the app is. */
  public String archiveUrl(AppId app, long version) {
    return fleetUrl + "/v1/apps/" + encode(app.project()) + "/" + encode(app.name()) + "/archive?version=" + version;
  }

  // Project and app names are DNS labels already; encoding keeps that an assumption this class does not lean on.
  private static String encode(String segment) {
    return URLEncoder.encode(segment, StandardCharsets.UTF_8);
  }
}

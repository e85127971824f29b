package io.sluice.dataplane.routing;

import io.sluice.config.AppId;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The apps a node routes to, and how a public URI maps onto one of them.
 *
 * <p>Public paths are {@code /v4/{project}/{app}/{path...}}, going to {@code /{path...}} on a replica (Cerebrium).
 * Truss apps also answer Baseten's mapping: {@code .../predict} goes to the app's {@code predict_endpoint},
 * {@code .../sync/{path...}} to {@code /{path...}}, both also under {@code .../environments/{env}/}. The lookup is one
 * hash probe whatever the number of apps.
 */
public final class AppDirectory {

  private static final String PREFIX = "/v4/";

  private final Map<String, AppRoute> routes = new ConcurrentHashMap<>();
  private volatile Consumer<AppId> onRemoved = id -> { };

  /** Routes the app by this route from now on; a redeploy replaces the app's previous route. */
  public void put(AppRoute route) {
    routes.put(route.spec().id().key(), route);
  }

  /** Stops routing the app (it was undeployed), unless a newer route has replaced {@code expected} meanwhile. */
  public void remove(AppId id, AppRoute expected) {
    if (routes.remove(id.key(), expected)) {
      onRemoved.accept(id);
    }
  }

  /** Called with every app that stops being routed (not with a redeploy, which replaces the route). */
  public void onRemoved(Consumer<AppId> listener) {
    this.onRemoved = listener;
  }

  public Optional<AppRoute> get(AppId id) {
    return Optional.ofNullable(routes.get(id.key()));
  }

  /** Whether an app ({@code project/name}) is routed here. */
  public boolean has(String appKey) {
    return routes.containsKey(appKey);
  }

  public Collection<AppRoute> all() {
    return routes.values();
  }

  /**
   * Where a request goes, by the app it names: in an {@code x-sluice-app: project/app} header when it has one (stock
   * gRPC clients cannot put a prefix before their method paths, but can send metadata); else in its path
   * ({@code /v4/project/app/...}); else in its host ({@code app.project.<domain>}, as Knative names services). With the
   * header or the host, the whole path goes to the replica.
   */
  public RequestTarget resolve(String uri, String appHeader, String host) {
    if (appHeader != null) {
      return named(routes.get(appHeader), uri);
    }
    if (uri.startsWith(PREFIX)) {
      return resolve(uri);
    }
    return host == null ? RequestTarget.failed(RequestTarget.Error.NOT_FOUND) : named(byHost(host), uri);
  }

  /** {@code app.project.rest}: the first two labels of a name with at least three, ignoring any port. */
  private AppRoute byHost(String host) {
    int appEnd = host.indexOf('.');
    int projectEnd = appEnd < 0 ? -1 : host.indexOf('.', appEnd + 1);
    if (appEnd <= 0 || projectEnd < 0 || projectEnd == appEnd + 1) {
      return null;
    }
    return routes.get(host.substring(appEnd + 1, projectEnd) + '/' + host.substring(0, appEnd));
  }

  private static RequestTarget named(AppRoute route, String uri) {
    if (route == null || uri.isEmpty() || uri.charAt(0) != '/') {
      return RequestTarget.failed(RequestTarget.Error.NOT_FOUND);
    }
    int queryAt = uri.indexOf('?');
    String path = queryAt < 0 ? uri : uri.substring(0, queryAt);
    return target(route, path, queryAt < 0 ? "" : uri.substring(queryAt));
  }

  public RequestTarget resolve(String uri) {
    if (!uri.startsWith(PREFIX)) {
      return RequestTarget.failed(RequestTarget.Error.NOT_FOUND);
    }
    int queryAt = uri.indexOf('?');
    int pathEnd = queryAt < 0 ? uri.length() : queryAt;
    int projectEnd = uri.indexOf('/', PREFIX.length());
    if (projectEnd < 0 || projectEnd >= pathEnd) {
      return RequestTarget.failed(RequestTarget.Error.NOT_FOUND);
    }
    int appEnd = uri.indexOf('/', projectEnd + 1);
    if (appEnd < 0 || appEnd > pathEnd) {
      appEnd = pathEnd;
    }
    AppRoute route = routes.get(uri.substring(PREFIX.length(), appEnd));
    if (route == null) {
      return RequestTarget.failed(RequestTarget.Error.NOT_FOUND);
    }
    String path = appEnd == pathEnd ? "/" : uri.substring(appEnd, pathEnd);
    return target(route, path, queryAt < 0 ? "" : uri.substring(queryAt));
  }

  private static RequestTarget target(AppRoute route, String path, String query) {
    if (!PathSafety.isClean(path)) {
      return RequestTarget.badPath(route);
    }
    path = PathSafety.mergeSlashes(path);
    if (route.truss()) {
      path = trussPath(route, path);
    }
    return RequestTarget.of(route, query.isEmpty() ? path : path + query);
  }

  /** Baseten's endpoint mapping; paths it does not name go to the replica as they are. */
  private static String trussPath(AppRoute route, String path) {
    if (path.startsWith("/environments/")) {
      int envEnd = path.indexOf('/', "/environments/".length());
      path = envEnd < 0 ? "/" : path.substring(envEnd);
    }
    if (path.equals("/predict")) {
      return route.spec().runtime().predictPath().orElse(path);
    }
    if (path.equals("/sync")) {
      return "/";
    }
    if (path.startsWith("/sync/")) {
      return path.substring("/sync".length());
    }
    return path;
  }
}

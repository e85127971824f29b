package io.sluice.dataplane.routing;

/**
 * Where a public request goes: the app and the URI to ask its replica for; or why it goes nowhere.
 *
 * @param route the app, null when there is none at the path
 * @param upstreamUri the path and query on the replica
 * @param error null, or {@link Error#BAD_PATH} / {@link Error#NOT_FOUND}
 */
public record RequestTarget(AppRoute route, String upstreamUri, Error error) {

  public enum Error {
    /** Not a Sluice app path at all, or no such project/app. */
    NOT_FOUND,
    /** Dot segments or other path tricks that could reach outside the app's own paths. */
    BAD_PATH
  }

  static RequestTarget of(AppRoute route, String upstreamUri) {
    return new RequestTarget(route, upstreamUri, null);
  }

  static RequestTarget failed(Error error) {
    return new RequestTarget(null, null, error);
  }

  static RequestTarget badPath(AppRoute route) {
    return new RequestTarget(route, null, Error.BAD_PATH);
  }
}

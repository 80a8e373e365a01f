package org.neguard.server.console;

import java.util.List;
import org.neguard.server.auth.EndpointCatalog;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.server.PathContainer;
import org.springframework.stereotype.Component;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;

/**
 * Where a user lands after login (issue 18): the console page that sent them to log in when it
 * is one a browser can open (a GET route), else the nearest page above it, else the overview.
 *
 * <p>Why: the page asked for is kept in a cookie as a URL only (its method is lost), so a form
 * posted after the session expired (the upload form above all) would be opened by GET after
 * login, on a route that takes POST only: a 405 where the user expected their page. The form's
 * own page is the route above its action ({@code /console/packages/upload} is a form of {@code
 * /console/packages}, {@code /console/deployments/7/approve} of {@code
 * /console/deployments/7}). The routes are read from the handlers ({@link EndpointCatalog}), so
 * a new page needs no entry here. This only shortens a path that {@link
 * ConsoleSecurity#safeTarget} already admitted, so it never leads off the console.
 */
@Component
final class ConsoleLanding {
  private final ObjectProvider<EndpointCatalog> catalog;
  private volatile List<PathPattern> pages;

  /** The catalog is read at the first login, once every handler is mapped. */
  ConsoleLanding(ObjectProvider<EndpointCatalog> catalog) {
    this.catalog = catalog;
  }

  /**
   * {@code target} (a path and query that {@link ConsoleSecurity#safeTarget} returned) when its
   * path is a console page, else the nearest page above it, without the query (that of a form's
   * action, never of its page).
   */
  String page(String target) {
    int q = target.indexOf('?');
    String path = q < 0 ? target : target.substring(0, q);
    if (isPage(path)) {
      return target;
    }
    while (path.length() > ConsoleSecurity.HOME.length()) {
      path = path.substring(0, path.lastIndexOf('/'));
      if (isPage(path)) {
        return path;
      }
    }
    return ConsoleSecurity.HOME;
  }

  private boolean isPage(String path) {
    if (!path.startsWith(ConsoleSecurity.HOME + "/") || path.startsWith(ConsoleSecurity.LOGIN)) {
      return false;
    }
    PathContainer p = PathContainer.parsePath(path);
    return pages().stream().anyMatch(pattern -> pattern.matches(p));
  }

  private List<PathPattern> pages() {
    List<PathPattern> p = pages;
    if (p == null) {
      p = catalog.getObject().endpoints().stream()
          .filter(e -> "GET".equals(e.method()) && e.path().startsWith(ConsoleSecurity.HOME))
          .map(e -> PathPatternParser.defaultInstance.parse(e.path())).toList();
      pages = p;
    }
    return p;
  }
}

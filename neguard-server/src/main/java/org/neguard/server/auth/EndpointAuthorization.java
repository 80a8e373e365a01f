package org.neguard.server.auth;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.util.Arrays;
import java.util.Set;
import org.neguard.api.auth.Role;
import org.neguard.server.DeviceListener;
import org.neguard.server.access.Allowed;
import org.neguard.server.access.CurrentDevice;
import org.neguard.server.access.CurrentUser;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.web.Problems;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.springframework.core.env.Environment;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.util.HtmlUtils;

/**
 * Enforces each endpoint's {@link Allowed} before its handler runs (SRC-1): no credential where
 * one is needed is 401, a role that is not admitted is 403, both recorded in the audit log. A
 * server handler without {@link Allowed} is refused (fail closed), though {@link EndpointCatalog}
 * already keeps such a server from starting.
 */
final class EndpointAuthorization implements HandlerInterceptor {
  private final AuditLog audit;
  private final DeviceListener listener;
  private final Environment environment;

  EndpointAuthorization(AuditLog audit, DeviceListener listener, Environment environment) {
    this.audit = audit;
    this.listener = listener;
    this.environment = environment;
  }

  /** Whether the endpoint admits users as well as devices (it is served on both ports). */
  static boolean admitsUsers(Allowed allowed) {
    return allowed.anyUser() || allowed.value().length > 0 || !allowed.anonymousIf().isEmpty();
  }

  /** Whether {@code allowed}'s {@link Allowed#anonymousIf} setting is on. */
  static boolean openNow(Allowed allowed, Environment environment) {
    return !allowed.anonymousIf().isEmpty()
        && environment.getProperty(allowed.anonymousIf(), Boolean.class, false);
  }

  @Override
  public boolean preHandle(HttpServletRequest request, HttpServletResponse response,
      Object handler) throws Exception {
    if (!(handler instanceof HandlerMethod hm)) {
      return true; // no handler of ours: Spring answers 404
    }
    Allowed allowed = hm.getMethodAnnotation(Allowed.class);
    String what = request.getMethod() + " " + request.getRequestURI();
    if (allowed == null) {
      if (!hm.getBeanType().getName().startsWith("org.neguard.")) {
        return true; // Spring's own error handler
      }
      return deny(response, ReasonCode.NOT_AUTHORIZED, CurrentUser.actorName(), what,
          "this endpoint declares no role, so nobody may call it");
    }
    CurrentDevice caller = CurrentDevice.of(request);
    if (caller != null && !allowed.device() && !allowed.anonymous()) {
      // A device certificate grants nothing but device endpoints (the agents' port serves no
      // other; this holds should a user endpoint ever be mapped below its prefix).
      return deny(response, ReasonCode.NOT_AUTHORIZED, "device " + caller.deviceId(), what,
          "a device certificate admits to device endpoints only");
    }
    if (allowed.anonymous()) {
      return true;
    }
    boolean devicePort = listener.isDevicePort(request);
    if (allowed.device() && (caller != null || devicePort || !admitsUsers(allowed))) {
      CurrentDevice device = CurrentDevice.of(request);
      if (device == null) {
        return deny(response, ReasonCode.NOT_AUTHENTICATED, CurrentUser.actorName(), what,
            "this endpoint is for enrolled devices: present a device certificate (mutual TLS)");
      }
      return true;
    }
    if (!devicePort && openNow(allowed, environment)) {
      return true;
    }
    CurrentUser user = CurrentUser.current();
    if (user == null) {
      return deny(response, ReasonCode.NOT_AUTHENTICATED, "anonymous", what,
          "this endpoint needs a credential; log in with 'neguard login'");
    }
    if (allowed.anyUser() || admits(allowed, user.roles())) {
      return true;
    }
    return deny(response, ReasonCode.NOT_AUTHORIZED, user.username(), what,
        "this endpoint needs the role " + String.join(" or ",
            Arrays.stream(allowed.value()).map(Role::id).toList())
            + "; you have " + (user.roles().isEmpty() ? "none" : Role.ids(user.roles())));
  }

  static boolean admits(Allowed allowed, Set<Role> roles) {
    return Arrays.stream(allowed.value()).anyMatch(roles::contains);
  }

  private boolean deny(HttpServletResponse response, ReasonCode code, String actor, String what,
      String message) throws java.io.IOException {
    audit.append(AuditEvent.denied(actor, "ACCESS", what, code + ": " + message));
    String path = what.substring(what.indexOf(' ') + 1);
    if (path.equals("/console") || path.startsWith("/console/")) {
      // The console's pages are read by people: the same refusal as a page (its CSP and other
      // headers are the console chain's), every value escaped.
      response.setStatus(code == ReasonCode.NOT_AUTHENTICATED ? 401 : 403);
      response.setContentType("text/html;charset=UTF-8");
      response.getWriter().write("<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
          + "<title>Refused - NEGuard</title>"
          + "<link rel=\"stylesheet\" href=\"/console/assets/console.css\"></head><body><main>"
          + "<h1>Refused</h1><p class=\"error\" id=\"refusal\">" + code + ": "
          + HtmlUtils.htmlEscape(message) + "</p><p><a href=\"/console/login\">Back</a>"
          + " (log in as another user there)</p></main></body></html>");
      return false;
    }
    Problems.write(response, Reason.of(code, message));
    return false;
  }
}

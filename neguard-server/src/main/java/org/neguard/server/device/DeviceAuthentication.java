package org.neguard.server.device;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.security.cert.X509Certificate;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.neguard.server.DeviceListener;
import org.neguard.server.access.CurrentDevice;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.web.Problems;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Keeps the two ports apart and authenticates devices (docs/DEPLOYMENTS.md, "The two ports").
 * On the agents' port only {@code /api/device/v1/**} and the package repository's files
 * ({@code /api/repo/v1/**}) exist (anything else is 404), a user's
 * {@code Authorization} header is refused (401: no bearer secret counts there), and a client
 * certificate, which TLS has already chained to the device CA, is admitted only when its serial
 * is the current, unrevoked one of the device its CN names and that device is not disabled,
 * read from the database on every request (so a disable or a renewal takes effect at the next
 * request, on every replica). On the users' port {@code /api/device/**} is 404 and no request
 * ever carries a device. Runs before Spring Security, so no user filter sees an agent request.
 */
final class DeviceAuthentication extends OncePerRequestFilter {
  static final String PREFIX = "/api/device/v1/";
  /**
   * The TUF repository's files (docs/REPOSITORY.md), which devices read on this port and users
   * on theirs: the same paths on both, so that one base URL scheme serves every client.
   */
  static final String REPO_PREFIX = "/api/repo/v1/";
  private static final String CERTIFICATES = "jakarta.servlet.request.X509Certificate";

  private final DeviceListener listener;
  private final ObjectProvider<Devices> devices;
  private final ObjectProvider<LastSeen> lastSeen;
  private final ObjectProvider<AuditLog> audit;

  // Providers: the web server, and with it this filter, is built before the database beans are,
  // and must not pull them.
  DeviceAuthentication(DeviceListener listener, ObjectProvider<Devices> devices,
      ObjectProvider<LastSeen> lastSeen, ObjectProvider<AuditLog> audit) {
    this.listener = listener;
    this.devices = devices;
    this.lastSeen = lastSeen;
    this.audit = audit;
  }

  /**
   * Between Spring's request context (-105: the audit log then names the client's address and
   * marks the refusal recorded, so the refusal net adds no second row) and Spring Security's
   * chain (-100), which must never see an agents' port request with a bearer token.
   */
  static final int ORDER = -103;

  /** Registers the filter at {@link #ORDER}. */
  @Configuration(proxyBeanMethods = false)
  static class Registration {
    @Bean
    FilterRegistrationBean<DeviceAuthentication> deviceAuthentication(DeviceListener listener,
        ObjectProvider<Devices> devices, ObjectProvider<LastSeen> lastSeen,
        ObjectProvider<AuditLog> audit) {
      FilterRegistrationBean<DeviceAuthentication> b = new FilterRegistrationBean<>(
          new DeviceAuthentication(listener, devices, lastSeen, audit));
      b.setOrder(ORDER);
      b.addUrlPatterns("/*");
      return b;
    }
  }

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response,
      FilterChain chain) throws ServletException, IOException {
    // The path as Tomcat maps it (decoded, dot segments resolved) and as sent: both must agree.
    String mapped = request.getServletPath()
        + (request.getPathInfo() == null ? "" : request.getPathInfo());
    String raw = request.getRequestURI();
    if (!listener.isDevicePort(request)) {
      if (isDevicePath(mapped) || isDevicePath(raw)) {
        notFound(response, "the agents' API is served on the agents' port only");
        return;
      }
      chain.doFilter(request, response);
      return;
    }
    if (!agentsPath(mapped, raw)) {
      notFound(response, "only the agents' API (" + PREFIX + "...) and the package repository ("
          + REPO_PREFIX + "...) are served on this port");
      return;
    }
    String what = request.getMethod() + " " + raw;
    if (request.getHeader("Authorization") != null) {
      deny(response, "anonymous", what, Reason.of(ReasonCode.NOT_AUTHENTICATED,
          "the agents' port accepts no Authorization header: a device authenticates with its"
              + " certificate (mutual TLS), a user on the users' port"), "Authorization header");
      return;
    }
    X509Certificate cert = request.getAttribute(CERTIFICATES) instanceof X509Certificate[] c
        && c.length > 0 ? c[0] : null;
    if (cert == null) {
      chain.doFilter(request, response); // enrollment; device endpoints refuse it (401)
      return;
    }
    String serial = DeviceCertificates.serial(cert);
    String deviceId = commonName(cert.getSubjectX500Principal());
    if (deviceId == null || !Shapes.DEVICE_ID.matcher(deviceId).matches()) {
      deny(response, "anonymous", what, Reason.of(ReasonCode.NOT_AUTHENTICATED,
          "the client certificate names no device"), "certificate " + serial
          + " has no device id as its CN");
      return;
    }
    String actor = "device " + deviceId;
    Devices.Refusal refused = devices.getObject().admit(deviceId, serial);
    if (refused != null) {
      deny(response, actor, what, refused.answer.reasons().get(0), refused.detail);
      return;
    }
    request.setAttribute(CurrentDevice.ATTRIBUTE, new CurrentDevice(deviceId, serial,
        cert.getPublicKey()));
    request.setAttribute(AuditLog.ACTOR, actor);
    lastSeen.getObject().seen(deviceId);
    chain.doFilter(request, response);
  }

  /** Whether the path, as mapped and as sent, is one the agents' port serves. */
  private static boolean agentsPath(String mapped, String raw) {
    return (mapped.startsWith(PREFIX) && raw.startsWith(PREFIX))
        || (mapped.startsWith(REPO_PREFIX) && raw.startsWith(REPO_PREFIX));
  }

  private static boolean isDevicePath(String path) {
    return path.equals("/api/device") || path.startsWith("/api/device/");
  }

  /** The certificate's single CN, or null. */
  static String commonName(X500Principal subject) {
    RDN[] cns = X500Name.getInstance(subject.getEncoded()).getRDNs(BCStyle.CN);
    return cns.length == 1 && !cns[0].isMultiValued()
        ? IETFUtils.valueToString(cns[0].getFirst().getValue()) : null;
  }

  private void deny(HttpServletResponse response, String actor, String what, Reason reason,
      String detail) throws IOException {
    String why = detail.startsWith(reason.code().name()) ? detail : reason.code() + ": " + detail;
    audit.getObject().append(AuditEvent.denied(actor, "DEVICE_AUTHENTICATE", what, why));
    Problems.write(response, reason);
  }

  private static void notFound(HttpServletResponse response, String message)
      throws IOException {
    Problems.write(response, 404, Reason.of(ReasonCode.BAD_INPUT, message));
  }
}

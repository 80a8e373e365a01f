package org.neguard.server.device;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
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
 * Keeps the two ports apart and authenticates devices (docs/DEPLOYMENTS.md, "The two ports"):
 * answers what {@link DeviceGate} decides, a refusal with its reason code and an audit row, an
 * admitted device by putting it on the request. Runs before Spring Security, so no user filter
 * sees an agent request.
 */
final class DeviceAuthentication extends OncePerRequestFilter {
  private final DeviceGate gate;
  private final ObjectProvider<AuditLog> audit;

  // A provider: the web server, and with it this filter, is built before the database beans
  // are, and must not pull them.
  DeviceAuthentication(DeviceGate gate, ObjectProvider<AuditLog> audit) {
    this.gate = gate;
    this.audit = audit;
  }

  /**
   * Between Spring's request context (-105: the audit log then names the client's address and
   * marks the refusal recorded, so the refusal net adds no second row) and Spring Security's
   * chain (-100), which must never see an agents' port request with a bearer token.
   */
  static final int ORDER = -103;

  /** Registers the filter at {@link #ORDER}, and the gate it shares with the poll's 304 path. */
  @Configuration(proxyBeanMethods = false)
  static class Registration {
    @Bean
    DeviceGate deviceGate(DeviceListener listener, ObjectProvider<Devices> devices,
        ObjectProvider<LastSeen> lastSeen) {
      return new DeviceGate(listener, devices, lastSeen);
    }

    @Bean
    FilterRegistrationBean<DeviceAuthentication> deviceAuthentication(DeviceGate gate,
        ObjectProvider<AuditLog> audit) {
      FilterRegistrationBean<DeviceAuthentication> b = new FilterRegistrationBean<>(
          new DeviceAuthentication(gate, audit));
      b.setOrder(ORDER);
      b.addUrlPatterns("/*");
      return b;
    }
  }

  @Override
  protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response,
      FilterChain chain) throws ServletException, IOException {
    DeviceGate.Decision d = gate.decide(request);
    if (d instanceof DeviceGate.Admitted<?> a) {
      request.setAttribute(CurrentDevice.ATTRIBUTE, a.device());
      request.setAttribute(AuditLog.ACTOR, a.actor());
      chain.doFilter(request, response);
    } else if (d instanceof DeviceGate.NotFound n) {
      notFound(response, n.message());
    } else if (d instanceof DeviceGate.Denied r) {
      deny(response, r.actor(), r.what(), r.reason(), r.detail());
    } else {
      chain.doFilter(request, response); // another port, or enrollment (no certificate)
    }
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

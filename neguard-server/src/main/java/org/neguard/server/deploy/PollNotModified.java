package org.neguard.server.deploy;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.function.Supplier;
import org.neguard.server.device.DeviceGate;
import org.neguard.server.device.Devices;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.util.function.SingletonSupplier;

/**
 * The poll's 304 path (issue 12's 5,000 polls/s; docs/BENCHMARKS.md): a device's unchanged poll
 * answered ahead of every other filter and of Spring's dispatcher, which cost a poll as much CPU
 * as the device check and the ETag together many times over (request observation, the session
 * repository, Spring Security's chain, handler mapping, content negotiation). It answers only
 * {@code GET /api/device/v1/poll} with an {@code If-None-Match}, and only when {@link DeviceGate}
 * admits the device (the same decision, read from the database on every request, as every other
 * device request) and the ETag is unchanged ({@link DeviceOrders.PollState#unchangedFor}, the
 * controller's decision), the ETag's inputs read in the admission's own statement ({@link
 * DeviceOrders#pollJoin}: one statement per poll): nothing is cached, so a disable, a revocation, a renewal or a new order
 * counts at the next poll. Everything else, a refusal included, goes down the full chain
 * untouched, where {@code DeviceAuthentication} answers and audits it as before. Thread-safe.
 */
final class PollNotModified extends HttpFilter {
  static final String PATH = "/api/device/v1/poll";

  private final DeviceGate gate;
  private final Supplier<DeviceOrders> orders;

  // A provider: the web server, and with it this filter, is built before the database beans are.
  // Resolved once, at the first poll (see DeviceGate).
  PollNotModified(DeviceGate gate, ObjectProvider<DeviceOrders> orders) {
    this.gate = gate;
    this.orders = SingletonSupplier.of(orders::getObject);
  }

  /** Registers the filter first of all. */
  @Configuration(proxyBeanMethods = false)
  static class Registration {
    @Bean
    FilterRegistrationBean<PollNotModified> pollNotModified(DeviceGate gate,
        ObjectProvider<DeviceOrders> orders) {
      FilterRegistrationBean<PollNotModified> b =
          new FilterRegistrationBean<>(new PollNotModified(gate, orders));
      b.setOrder(Ordered.HIGHEST_PRECEDENCE);
      b.addUrlPatterns(PATH);
      return b;
    }
  }

  @Override
  protected void doFilter(HttpServletRequest request, HttpServletResponse response,
      FilterChain chain) throws IOException, ServletException {
    String etag = unchangedEtag(request);
    if (etag == null) {
      chain.doFilter(request, response);
      return;
    }
    response.setStatus(HttpServletResponse.SC_NOT_MODIFIED);
    response.setHeader(HttpHeaders.ETAG, etag);
  }

  /**
   * The ETag to answer 304 with, or null when the full chain must answer: not an unchanged poll
   * of an admitted device, or the check failed (the database unreachable: the chain then fails
   * the same way, and answers it as it always did, with a reason code).
   */
  private String unchangedEtag(HttpServletRequest request) {
    String ifNoneMatch = request.getHeader(HttpHeaders.IF_NONE_MATCH);
    // Only the exact path, as sent and as mapped (the gate checks both agree too).
    if (ifNoneMatch == null || !"GET".equals(request.getMethod())
        || !PATH.equals(request.getRequestURI()) || !PATH.equals(request.getServletPath())
        || request.getPathInfo() != null) {
      return null;
    }
    try {
      DeviceOrders o = orders.get();
      Devices.Joined<DeviceOrders.PollState> join = o.pollJoin();
      if (!(gate.decide(request, join) instanceof DeviceGate.Admitted<?> a)) {
        return null; // a refusal: DeviceAuthentication answers and audits it
      }
      DeviceOrders.PollState state = join != null ? (DeviceOrders.PollState) a.joined()
          : o.pollState(a.device().deviceId(), a.device().certificateSerial());
      // A change: the controller answers it, signed order and all.
      return state.unchangedFor(ifNoneMatch) ? state.etag() : null;
    } catch (RuntimeException e) {
      return null;
    }
  }
}

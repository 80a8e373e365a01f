package org.neguard.server.web;

import jakarta.servlet.DispatcherType;
import jakarta.servlet.FilterChain;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;

/**
 * Keeps the container's error page out of an answer already sent. Tomcat asks for its error
 * page (Spring Boot's {@code /error}) whenever reading a request's body failed, a client that
 * broke its body off or a malformed chunk, even after the application answered; the answer
 * being committed, it then includes the page behind it. The console's refused upload is such an
 * answer: its page goes out, then the rest of the body is read and dropped ({@code
 * console.RefusedUploadDrain}), and a client that gave up meanwhile had the error page try to
 * write its JSON into the {@code text/html} answer, which failed with an ERROR and a stack trace
 * in the log. Nothing can be added to an answer on the wire: the page is skipped (logged at
 * debug) and Tomcat closes the connection, as it does after an included error page.
 */
final class ErrorPageAfterAnswer extends HttpFilter {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(ErrorPageAfterAnswer.class);

  /**
   * On the error page's dispatches only, before the security chain: an error page behind a
   * committed answer is an include (Tomcat dispatches it as INCLUDE), else a forward (ERROR).
   */
  @Configuration(proxyBeanMethods = false)
  static class Registration {
    @Bean
    FilterRegistrationBean<ErrorPageAfterAnswer> errorPageAfterAnswer(
        @Value("${server.error.path:/error}") String errorPath) {
      FilterRegistrationBean<ErrorPageAfterAnswer> b =
          new FilterRegistrationBean<>(new ErrorPageAfterAnswer());
      b.setDispatcherTypes(DispatcherType.ERROR, DispatcherType.INCLUDE);
      b.addUrlPatterns(errorPath);
      b.setOrder(Ordered.HIGHEST_PRECEDENCE);
      return b;
    }
  }

  @Override
  protected void doFilter(HttpServletRequest request, HttpServletResponse response,
      FilterChain chain) throws IOException, ServletException {
    if (response.isCommitted()) {
      Object cause = request.getAttribute(RequestDispatcher.ERROR_EXCEPTION);
      LOG.debug("{} {}: answered already ({}), no error page behind it: {}",
          request.getMethod(), request.getAttribute(RequestDispatcher.ERROR_REQUEST_URI),
          response.getStatus(), cause);
      return;
    }
    chain.doFilter(request, response);
  }
}

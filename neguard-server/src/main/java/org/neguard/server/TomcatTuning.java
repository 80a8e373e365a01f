package org.neguard.server;

import org.springframework.boot.web.embedded.tomcat.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.stereotype.Component;

/**
 * Sends {@code 100 Continue} only when a handler starts reading the body. A client that sends
 * {@code Expect: 100-continue} (curl does for large bodies) then gets a refusal decided before
 * the body (401, 403, 413) as the final answer without sending the body at all. (The CLI does
 * not send it: the JDK 17 HTTP client hangs on a final answer to it.)
 */
@Component
final class TomcatTuning implements WebServerFactoryCustomizer<TomcatServletWebServerFactory> {
  @Override
  public void customize(TomcatServletWebServerFactory factory) {
    factory.addConnectorCustomizers(c -> c.setProperty("continueResponseTiming", "onRead"));
  }
}

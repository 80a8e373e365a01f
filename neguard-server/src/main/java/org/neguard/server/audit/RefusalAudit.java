package org.neguard.server.audit;

import jakarta.servlet.ServletException;
import java.io.IOException;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.web.embedded.tomcat.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.stereotype.Component;

/**
 * Every refused or failed request leaves an audit row (SRC-3), whichever layer answered it:
 * a Tomcat valve around the whole servlet pipeline (every filter, Spring's dispatch, the error
 * page) records a row for any answer of 400 or more whose request has not already recorded a
 * refusal or failure of its own ({@link AuditLog#RECORDED}). The features still record their
 * refusals with their reasons; this is the net under all of them, so that a refusal added
 * later, or an internal error, cannot go unrecorded.
 */
@Component
final class RefusalAudit implements WebServerFactoryCustomizer<TomcatServletWebServerFactory> {
  private static final Logger LOG = LoggerFactory.getLogger(RefusalAudit.class);

  private final ObjectProvider<AuditLog> audit;

  // A provider: the web server is built before the database beans are, and must not pull them.
  RefusalAudit(ObjectProvider<AuditLog> audit) {
    this.audit = audit;
  }

  @Override
  public void customize(TomcatServletWebServerFactory factory) {
    factory.addContextValves(new Valve(audit));
  }

  private static final class Valve extends ValveBase {
    private final ObjectProvider<AuditLog> audit;

    Valve(ObjectProvider<AuditLog> audit) {
      super(true);
      this.audit = audit;
    }

    @Override
    public void invoke(Request request, Response response) throws IOException, ServletException {
      try {
        getNext().invoke(request, response);
      } finally {
        int status = response.getStatus();
        if (status >= 400 && request.getAttribute(AuditLog.RECORDED) == null) {
          record(request, status);
        }
      }
    }

    private void record(Request request, int status) {
      Object actor = request.getAttribute(AuditLog.ACTOR);
      String what = request.getMethod() + " " + request.getRequestURI();
      AuditEvent event = status == 401 || status == 403
          ? AuditEvent.denied(actor == null ? "anonymous" : actor.toString(), "ACCESS", what,
              (status == 401 ? "NOT_AUTHENTICATED" : "NOT_AUTHORIZED") + ": HTTP " + status)
          : AuditEvent.failure(actor == null ? "anonymous" : actor.toString(),
              status >= 500 ? "ERROR" : "REQUEST", what, "HTTP " + status
                  + (status >= 500 ? ": internal error, see the server log" : ": refused"));
      try {
        audit.getObject().append(event, request.getRemoteAddr());
        request.setAttribute(AuditLog.RECORDED, Boolean.TRUE);
      } catch (RuntimeException e) {
        // The answer is already sent; the log is all that is left to tell.
        LOG.error("could not record {} {} in the audit log: {}", what, status, e.toString());
      }
    }
  }
}

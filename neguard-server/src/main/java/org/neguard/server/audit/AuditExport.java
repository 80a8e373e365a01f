package org.neguard.server.audit;

import org.neguard.io.HostName;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.neguard.server.access.CurrentUser;
import org.neguard.server.web.ApiException;

/** The audit log's export (SRC-3), for the API's endpoint and the console's download. */
public final class AuditExport {
  private static final String VERSION =
      AuditExport.class.getPackage().getImplementationVersion() == null
          ? "dev" : AuditExport.class.getPackage().getImplementationVersion();

  private AuditExport() {}

  /**
   * Writes the whole log to {@code response} in {@code format} ({@code jsonl}, {@code cef} or
   * {@code syslog}), after recording the export as the caller's; the API's export and the
   * console's download are this one.
   *
   * @throws ApiException BAD_INPUT for another format
   */
  public static void write(AuditLog audit, String format, HttpServletResponse response)
      throws IOException {
    if (!List.of("jsonl", "cef", "syslog").contains(format)) {
      throw ApiException.badInput("format must be jsonl, cef or syslog: " + format);
    }
    String host = HostName.local();
    audit.append(AuditEvent.success(CurrentUser.actorName(), "AUDIT_EXPORT", "audit log",
        "format " + format));
    response.setContentType(format.equals("jsonl") ? "application/x-ndjson" : "text/plain");
    response.setCharacterEncoding("UTF-8");
    Writer w = new OutputStreamWriter(response.getOutputStream(), StandardCharsets.UTF_8);
    try {
      audit.forEach(r -> {
        try {
          w.write(switch (format) {
            case "cef" -> AuditFormats.cef(r, VERSION);
            case "syslog" -> AuditFormats.syslog(r, VERSION, host);
            default -> AuditFormats.jsonLine(r);
          });
          w.write('\n');
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    w.flush();
  }
}

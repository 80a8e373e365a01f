package org.neguard.server.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import org.neguard.api.problem.Problem;
import org.neguard.verdict.Reason;

/**
 * The one shape of every refusal and error the server answers, the same as the CLI's
 * {@code --json}: the wire record {@link Problem}. The status of a refusal is its first code's
 * {@link org.neguard.verdict.ReasonCode#httpStatus}, unless the web layer chose one.
 */
public final class Problems {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Problems() {}

  public static Problem body(List<Reason> reasons) {
    return Problem.of(reasons);
  }

  /**
   * Writes a refusal directly, for filters that answer before the web layer, with the code's own
   * status ({@link org.neguard.verdict.ReasonCode#httpStatus}).
   */
  public static void write(HttpServletResponse response, Reason reason) throws IOException {
    write(response, reason.code().httpStatus(), reason);
  }

  /** {@link #write(HttpServletResponse, Reason)} with a status the web layer chose. */
  public static void write(HttpServletResponse response, int status, Reason reason)
      throws IOException {
    if (response.isCommitted()) {
      return;
    }
    response.resetBuffer();
    response.setStatus(status);
    response.setContentType("application/json");
    response.setCharacterEncoding("UTF-8");
    if (status == 401) {
      response.setHeader("WWW-Authenticate", "Bearer realm=\"neguard\"");
    }
    JSON.writeValue(response.getOutputStream(), body(List.of(reason)));
  }
}

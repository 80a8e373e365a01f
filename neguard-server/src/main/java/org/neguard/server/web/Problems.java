package org.neguard.server.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;

/**
 * The one shape of every refusal and error the server answers, the same as the CLI's
 * {@code --json}: {@code {"verdict": "fail"|"error", "reasons": [{code, message, subject}]}}.
 */
public final class Problems {
  private static final ObjectMapper JSON = new ObjectMapper();

  private Problems() {}

  /** HTTP status for a reason code. */
  public static int statusFor(ReasonCode code) {
    return switch (code) {
      case NOT_AUTHENTICATED -> 401;
      case NOT_AUTHORIZED -> 403;
      case CONFLICT -> 409;
      case SIZE_LIMIT -> 413;
      case BAD_INPUT -> 400;
      case TRUST_CONFIG, ENGINE_UNAVAILABLE -> 503;
      default -> code.kind() == ReasonCode.Kind.ERROR ? 500 : 422;
    };
  }

  public static Map<String, Object> body(List<Reason> reasons) {
    boolean error = reasons.stream().anyMatch(r -> r.code().kind() == ReasonCode.Kind.ERROR);
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("verdict", error ? "error" : "fail");
    List<Map<String, Object>> list = new ArrayList<>();
    for (Reason r : reasons) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("code", r.code().name());
      m.put("message", r.message());
      if (r.subject() != null) {
        m.put("subject", r.subject());
      }
      list.add(m);
    }
    o.put("reasons", list);
    return o;
  }

  /** Writes a refusal directly, for filters that answer before the web layer. */
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

package org.neguard.server.web;

import java.util.List;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * A request refused or failed, with the HTTP status and the reasons the client is told. Thrown
 * by the web layer; {@link ApiErrors} turns it into the JSON body every client reads.
 */
public final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final transient List<Reason> reasons;

  private ApiException(int status, List<Reason> reasons) {
    super(reasons.get(0).toString());
    this.status = status;
    this.reasons = List.copyOf(reasons);
  }

  /** A refusal with the code's own status ({@link ReasonCode#httpStatus}). */
  public static ApiException of(ReasonCode code, String message) {
    return withStatus(code.httpStatus(), code, message);
  }

  /**
   * A refusal whose status is not its code's: a missing thing (404) or a throttled client (429),
   * which no reason code decides.
   */
  private static ApiException withStatus(int status, ReasonCode code, String message) {
    return new ApiException(status, List.of(Reason.of(code, message)));
  }

  /** 400 BAD_INPUT. */
  public static ApiException badInput(String message) {
    return of(ReasonCode.BAD_INPUT, message);
  }

  /** 404 BAD_INPUT: the named thing does not exist. */
  public static ApiException notFound(String message) {
    return withStatus(404, ReasonCode.BAD_INPUT, message);
  }

  /** 429 NOT_AUTHENTICATED: the client has used its budget of attempts. */
  public static ApiException throttled(String message) {
    return withStatus(429, ReasonCode.NOT_AUTHENTICATED, message);
  }

  /**
   * 400 with the reasons of {@code e}: a document the client sent was refused by its parser
   * (a hardening policy: POLICY_INVALID, whose own status is that of a local file's error).
   */
  public static ApiException badRequest(RefusalException e) {
    return new ApiException(400, e.reasons());
  }

  /** The status a refusal's first code maps to. */
  public static ApiException from(RefusalException e) {
    return new ApiException(e.code().httpStatus(), e.reasons());
  }

  public int status() {
    return status;
  }

  public List<Reason> reasons() {
    return reasons;
  }
}

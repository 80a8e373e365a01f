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

  public static ApiException of(int status, ReasonCode code, String message) {
    return new ApiException(status, List.of(Reason.of(code, message)));
  }

  public static ApiException of(int status, Reason reason) {
    return new ApiException(status, List.of(reason));
  }

  /** 400 BAD_INPUT. */
  public static ApiException badInput(String message) {
    return of(400, ReasonCode.BAD_INPUT, message);
  }

  /** 404 BAD_INPUT: the named thing does not exist. */
  public static ApiException notFound(String message) {
    return of(404, ReasonCode.BAD_INPUT, message);
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

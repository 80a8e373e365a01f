package org.neguard.agent.client;

import java.util.List;
import java.util.Objects;
import org.neguard.api.problem.ProblemReason;

/**
 * The server refused or failed a device request (its HTTP status and the reasons of its
 * problem body, codes kept as written), or the client refused the answer itself (status 0: a
 * bundle whose digest or length is wrong, an answer too large, a CA that is not the pinned one).
 */
public final class DeviceApiException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int status;
  private final transient List<ProblemReason> reasons;

  public DeviceApiException(int status, List<ProblemReason> reasons) {
    super(status + " " + describe(reasons));
    this.status = status;
    this.reasons = List.copyOf(reasons);
    if (this.reasons.isEmpty()) {
      throw new IllegalArgumentException("reasons is empty");
    }
  }

  /** A refusal by this client (status 0). */
  public static DeviceApiException local(String code, String message) {
    return new DeviceApiException(0, List.of(new ProblemReason(code, message, null)));
  }

  /** The HTTP status, or 0 when this client refused. */
  public int status() {
    return status;
  }

  public List<ProblemReason> reasons() {
    return reasons;
  }

  /** The first reason's code, as the server wrote it ({@code NOT_AUTHENTICATED}...). */
  public String code() {
    return reasons.get(0).code();
  }

  private static String describe(List<ProblemReason> reasons) {
    Objects.requireNonNull(reasons, "reasons");
    return reasons.isEmpty() ? "" : reasons.get(0).code() + ": " + reasons.get(0).message();
  }
}

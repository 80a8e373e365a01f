package org.neguard.verdict;

import java.util.List;
import java.util.Objects;

/**
 * A negative security verdict, or an error that kept one from being reached, carrying every
 * {@link Reason}. Thrown by checks that fail closed; callers turn it into an exit code and report.
 */
public final class RefusalException extends Exception {
  private static final long serialVersionUID = 1L;

  private final List<Reason> reasons;

  public RefusalException(List<Reason> reasons) {
    super(reasons.isEmpty() ? "refused" : reasons.get(0).toString());
    if (reasons.isEmpty()) {
      throw new IllegalArgumentException("reasons is empty");
    }
    this.reasons = List.copyOf(reasons);
  }

  public RefusalException(Reason reason) {
    this(List.of(Objects.requireNonNull(reason, "reason")));
  }

  public RefusalException(ReasonCode code, String message) {
    this(Reason.of(code, message));
  }

  public RefusalException(ReasonCode code, String message, Throwable cause) {
    this(Reason.of(code, message));
    initCause(cause);
  }

  public static RefusalException about(ReasonCode code, String subject, String message) {
    return new RefusalException(Reason.about(code, subject, message));
  }

  /** The reasons, most important first; never empty. */
  public List<Reason> reasons() {
    return reasons;
  }

  /** The first reason's code. */
  public ReasonCode code() {
    return reasons.get(0).code();
  }

  /** Whether this is an error (no verdict) rather than a negative verdict. */
  public boolean isError() {
    return ReasonCode.Kind.of(reasons) == ReasonCode.Kind.ERROR;
  }
}

package org.neguard.verdict;

import java.util.Objects;

/**
 * Why a verdict failed or an operation stopped.
 *
 * @param code stable code for scripts
 * @param message what was wrong and what to do about it, for people
 * @param subject the thing the reason is about (a file path, a certificate subject), or null
 */
public record Reason(ReasonCode code, String message, String subject) {
  public Reason {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(message, "message");
  }

  public static Reason of(ReasonCode code, String message) {
    return new Reason(code, message, null);
  }

  public static Reason about(ReasonCode code, String subject, String message) {
    return new Reason(code, message, subject);
  }

  @Override
  public String toString() {
    return code + ": " + message;
  }
}

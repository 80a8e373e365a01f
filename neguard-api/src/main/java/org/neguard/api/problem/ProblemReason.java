package org.neguard.api.problem;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;

/**
 * One reason of a {@link Problem} as written on the wire. The code is text, not a
 * {@link ReasonCode}: a client older than the server that wrote it keeps a code it does not know
 * exactly as written ({@link #known} is then empty) instead of turning it into another one.
 *
 * @param code the reason code, upper case ({@code UNSIGNED}), possibly one this client does
 *     not know
 * @param message what was wrong and what to do about it
 * @param subject the thing the reason is about, or null (then left out of the JSON)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ProblemReason(String code, String message, String subject) {
  /**
   * What any code, known or not, looks like. A code is shown as written, so one of any other
   * shape (a line break, a terminal escape, a page of text from a hostile or broken server) is
   * not a code: the answer is then not a problem at all.
   */
  private static final Pattern CODE = Pattern.compile("[A-Z][A-Z0-9_]{0,63}");

  /** @throws IllegalArgumentException if {@code code} is not upper case letters, digits, '_' */
  public ProblemReason {
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(message, "message");
    if (!CODE.matcher(code).matches()) {
      throw new IllegalArgumentException("not a reason code: at most 64 of A-Z, 0-9 and _");
    }
  }

  /** The wire form of a reason. */
  public static ProblemReason of(Reason reason) {
    return new ProblemReason(reason.code().name(), reason.message(), reason.subject());
  }

  /** The code, if this client knows it. */
  public Optional<ReasonCode> knownCode() {
    for (ReasonCode c : ReasonCode.values()) {
      if (c.name().equals(code)) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }

  /** This reason with a known code, or empty if the code is not one of this client's. */
  public Optional<Reason> known() {
    return knownCode().map(c -> new Reason(c, message, subject));
  }

  @Override
  public String toString() {
    return code + ": " + message;
  }
}

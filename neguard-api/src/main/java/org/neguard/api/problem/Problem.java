package org.neguard.api.problem;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;

/**
 * Every refusal and error the server answers, in the shape of the CLI's {@code --json}:
 * {@code {"verdict": "fail"|"error", "reasons": [{code, message, subject}]}}. The HTTP status is
 * the first reason's {@link ReasonCode#httpStatus}, unless the web layer chose one (404, 405...).
 *
 * @param verdict {@link Verdict#FAIL} for a negative verdict, {@link Verdict#ERROR} when none was
 *     reached; never {@link Verdict#PASS}
 * @param reasons at least one, most important first
 */
public record Problem(Verdict verdict, List<ProblemReason> reasons) {
  public Problem {
    Objects.requireNonNull(verdict, "verdict");
    if (verdict == Verdict.PASS) {
      throw new IllegalArgumentException("a problem's verdict is fail or error, not pass");
    }
    reasons = List.copyOf(Objects.requireNonNull(reasons, "reasons"));
    if (reasons.isEmpty()) {
      throw new IllegalArgumentException("reasons is empty: a problem has at least one reason");
    }
  }

  /** The problem of these reasons, its verdict by {@link ReasonCode.Kind#of}. */
  public static Problem of(List<Reason> reasons) {
    return new Problem(Verdict.of(ReasonCode.Kind.of(reasons)),
        reasons.stream().map(ProblemReason::of).toList());
  }

  /**
   * Whether this is an error or a refusal, as the writer judged it: the {@code verdict} field,
   * which also covers codes this client does not know.
   */
  public ReasonCode.Kind kind() {
    return verdict == Verdict.ERROR ? ReasonCode.Kind.ERROR : ReasonCode.Kind.REFUSAL;
  }

  /** The reasons, if this client knows every code; empty if one is unknown. */
  public Optional<List<Reason>> known() {
    List<Reason> list = new ArrayList<>();
    for (ProblemReason r : reasons) {
      Optional<Reason> k = r.known();
      if (k.isEmpty()) {
        return Optional.empty();
      }
      list.add(k.get());
    }
    return Optional.of(List.copyOf(list));
  }
}

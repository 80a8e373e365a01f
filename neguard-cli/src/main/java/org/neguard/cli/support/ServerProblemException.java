package org.neguard.cli.support;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.PrintWriter;
import org.neguard.api.problem.Problem;
import org.neguard.api.problem.ProblemReason;
import org.neguard.verdict.ReasonCode;

/**
 * A refusal or error of the server that names a reason code this client does not know (a newer
 * server). The code is kept exactly as written and the exit code follows the problem's
 * {@code verdict} ({@code fail}: 3, {@code error}: 1): an unknown code is never turned into
 * another one, so a refusal stays a refusal.
 *
 * <p>Unchecked because it leaves the same calls as {@link org.neguard.verdict.RefusalException},
 * whose callers declare only that; {@link Failures} reports it like one.
 */
final class ServerProblemException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Problem problem;

  ServerProblemException(Problem problem) {
    super(problem.reasons().get(0).toString());
    this.problem = problem;
  }

  Problem problem() {
    return problem;
  }

  /**
   * Prints the problem as {@link Output#refusal} prints reasons (text, or {@code --json}) and
   * returns the exit code of its verdict.
   */
  int report(Output out) {
    ReasonCode.Kind kind = problem.kind();
    int exit = Failures.exitCode(kind);
    if (out.json()) {
      try {
        out.out().println(Json.MAPPER.writeValueAsString(problem));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("problem not serializable", e);
      }
      out.out().flush();
      return exit;
    }
    // Errors, in text, go to standard error; verdicts to standard output.
    PrintWriter w = kind == ReasonCode.Kind.ERROR ? out.err() : out.out();
    w.println(kind == ReasonCode.Kind.ERROR ? "ERROR" : "FAIL");
    for (ProblemReason r : problem.reasons()) {
      w.println("  " + Output.printable(r.code()) + "  " + Output.printableLines(r.message()));
    }
    w.flush();
    return exit;
  }

  /** Built on first use, as {@link Output}'s. */
  private static final class Json {
    static final ObjectMapper MAPPER =
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  }
}

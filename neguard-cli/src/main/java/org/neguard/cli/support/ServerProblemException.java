package org.neguard.cli.support;

import org.neguard.api.problem.Problem;

/**
 * A refusal or error of the server that names a reason code this client does not know (a newer
 * server). The code is kept exactly as written and the exit code follows the problem's
 * {@code verdict} ({@code fail}: 3, {@code error}: 1): an unknown code is never turned into
 * another one, so a refusal stays a refusal.
 *
 * <p>Unchecked because it leaves the same calls as {@link org.neguard.verdict.RefusalException},
 * whose callers declare only that; {@link Failures} reports it like one ({@link
 * Output#problem}). Whoever catches a refusal of the server to carry on (evidence records it)
 * catches this too.
 */
public final class ServerProblemException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Problem problem;

  ServerProblemException(Problem problem) {
    super(problem.reasons().get(0).toString());
    this.problem = problem;
  }

  /** The problem as the server wrote it: its verdict, and every code as written. */
  public Problem problem() {
    return problem;
  }
}

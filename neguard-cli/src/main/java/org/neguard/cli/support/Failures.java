package org.neguard.cli.support;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.List;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import picocli.CommandLine;

/**
 * Turns whatever a command throws into the exit-code contract and a message that says what to
 * do, never a stack trace (set {@code NEGUARD_DEBUG=1} to see one).
 */
final class Failures implements CommandLine.IExecutionExceptionHandler {
  static final int PASS = 0;
  static final int ERROR = 1;
  static final int VERDICT_FAIL = 3;

  @Override
  public int handleExecutionException(
      Exception e, CommandLine cl, CommandLine.ParseResult parseResult) {
    if ("1".equals(System.getenv("NEGUARD_DEBUG"))) {
      e.printStackTrace(cl.getErr());
    }
    Output out = Output.of(cl);
    if (e instanceof RefusalException r) {
      return out.refusal(r.reasons());
    }
    if (e instanceof ServerProblemException p) {
      return out.problem(p.problem());
    }
    return out.refusal(List.of(reasonFor(e)));
  }

  static Reason reasonFor(Exception e) {
    if (e instanceof NoSuchFileException n) {
      return Reason.about(ReasonCode.IO_ERROR, n.getFile(), "no such file: " + n.getFile());
    }
    if (e instanceof FileAlreadyExistsException f) {
      return Reason.about(
          ReasonCode.IO_ERROR, f.getFile(), "already exists: " + f.getFile()
              + "; choose another path or remove it");
    }
    if (e instanceof AccessDeniedException a) {
      return Reason.about(ReasonCode.IO_ERROR, a.getFile(), "permission denied: " + a.getFile());
    }
    if (e instanceof IOException io) {
      return Reason.of(ReasonCode.IO_ERROR, "I/O error: " + io.getMessage());
    }
    return Reason.of(
        ReasonCode.INTERNAL,
        "internal error (" + e.getClass().getSimpleName() + ": " + e.getMessage()
            + "); please report it, with NEGUARD_DEBUG=1 output");
  }

  /** 1 for an error (no verdict), 3 for a negative verdict. */
  static int exitCode(ReasonCode.Kind kind) {
    return kind == ReasonCode.Kind.ERROR ? ERROR : VERDICT_FAIL;
  }
}

package org.neguard.cli.attest;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Map;
import org.neguard.api.attest.AttestationResult;
import org.neguard.api.problem.Problem;
import org.neguard.api.problem.ProblemReason;
import org.neguard.api.problem.Verdict;
import org.neguard.cli.support.DurationConverter;
import org.neguard.cli.support.Output;
import org.neguard.verdict.RefusalException;
import picocli.CommandLine.Option;

/**
 * {@code --wait}, {@code --timeout} and {@code --interval} of the commands that start an
 * attestation ({@code attest DEVICE}, {@code attest readmit}), and what they print: the result
 * once judged, exit 0 only for PASS.
 */
final class WaitOptions {
  @Option(names = "--wait",
      description = "Wait until the device's evidence is judged; exit 0 only for PASS, 3 for any"
          + " other result.")
  boolean wait;

  @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "2m",
      converter = DurationConverter.class,
      description = "With --wait, give up after this long (default: ${DEFAULT-VALUE}); an"
          + " attestation not judged by then exits 3.")
  Duration timeout;

  @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "1s",
      converter = DurationConverter.class,
      description = "How often --wait asks the server (default: ${DEFAULT-VALUE}).")
  Duration interval;

  /** Looks at one attestation again (the server's answer to GET /api/attestations/{id}). */
  @FunctionalInterface
  interface Source {
    AttestationResult get(String id) throws IOException, RefusalException;
  }

  /**
   * Prints {@code first} as requested, or with {@code --wait} follows it until judged and prints
   * the verdict.
   *
   * @param verb {@code Requested} or {@code Readmission requested}: the headline's start
   * @param fields the record as JSON fields (ClientCommand.fields)
   */
  int finish(Output out, AttestationResult first, Source source, String verb,
      java.util.function.Function<Object, Map<String, Object>> fields)
      throws IOException, RefusalException {
    if (!wait) {
      String next = AttestText.judged(first) ? "" : "\nThe device answers at its next poll;"
          + " 'neguard attest history " + first.deviceId() + "' shows the result, or run with"
          + " --wait.";
      return out.done(verb + " attestation " + first.id() + " of device " + first.deviceId()
          + "\n" + AttestText.describe(first) + next, fields.apply(first));
    }
    AttestationResult r = first;
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      while (!AttestText.judged(r) && System.nanoTime() - deadline < 0) {
        Thread.sleep(Math.max(50, Math.min(interval.toMillis(),
            (deadline - System.nanoTime()) / 1_000_000)));
        r = source.get(r.id());
      }
    } catch (InterruptedException | InterruptedIOException e) {
      Thread.currentThread().interrupt();
      out.err().println("Stopped waiting; the attestation goes on: 'neguard attest history "
          + r.deviceId() + "' shows its result.");
      out.err().flush();
      return out.done(AttestText.describe(r), fields.apply(r));
    }
    if (!AttestText.judged(r)) {
      return out.failWithDetails(AttestText.describe(r), new Problem(Verdict.FAIL,
          java.util.List.of(new ProblemReason(AttestText.FAILED, "attestation " + r.id()
              + " of device " + r.deviceId() + " was not judged within the --timeout of "
              + timeout + ": the device has not answered (is its agent running and polling?);"
              + " it stays open until it expires: 'neguard attest history " + r.deviceId()
              + "' shows it", r.deviceId()))), fields.apply(r));
    }
    if (AttestText.PASS.equals(r.result())) {
      return out.pass("PASS  " + AttestText.describe(r), fields.apply(r));
    }
    return out.failWithDetails(AttestText.describe(r), AttestText.problem(r), fields.apply(r));
  }
}

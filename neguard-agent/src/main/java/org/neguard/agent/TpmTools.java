package org.neguard.agent;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs tpm2-tools against one TPM (its TCTI) in one working directory: no shell, a timeout per
 * command, and the TPM's transient objects flushed after each (a TPM holds only a few, and
 * tpm2-tools leave the objects they load from context files behind).
 */
final class TpmTools {
  /** A TPM command is milliseconds; an RSA key generation on a slow TPM some seconds. */
  static final Duration TIMEOUT = Duration.ofSeconds(60);
  /**
   * One command at a time in this JVM: each ends with flushing every transient object, which
   * would pull a key from under a command running meanwhile (the device key signs a TLS
   * handshake on one thread while the quoter quotes on another).
   */
  private static final Object TPM = new Object();

  private final String tcti;
  private final Path dir;

  TpmTools(String tcti, Path dir) {
    this.tcti = tcti;
    this.dir = dir;
  }

  Path dir() {
    return dir;
  }

  /**
   * Runs {@code args} (a tpm2-tools program and its arguments).
   *
   * @return its output
   * @throws IOException when it cannot be started, is killed at the timeout or exits non-zero;
   *     the message carries the command and its output
   */
  String run(String... args) throws IOException {
    CommandRunner.Result r;
    synchronized (TPM) {
      r = exec(List.of(args));
      exec(List.of("tpm2_flushcontext", "-t"));
    }
    if (!r.ok()) {
      throw new IOException(String.join(" ", args) + ": " + r.describe());
    }
    return r.output();
  }

  /** As {@link #run}, without the exit check: for a command whose failure is an answer. */
  CommandRunner.Result attempt(String... args) throws IOException {
    synchronized (TPM) {
      CommandRunner.Result r = exec(List.of(args));
      exec(List.of("tpm2_flushcontext", "-t"));
      return r;
    }
  }

  private CommandRunner.Result exec(List<String> command) throws IOException {
    // tpm2-tools read their TCTI from the environment; nothing else of ours is passed on.
    return CommandRunner.run(new ArrayList<>(command), dir, Map.of("TPM2TOOLS_TCTI", tcti),
        TIMEOUT);
  }
}

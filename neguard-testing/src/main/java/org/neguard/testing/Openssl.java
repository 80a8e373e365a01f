package org.neguard.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real {@code openssl} program, the outside tool NEGuard's formats are checked against.
 * Skips the test locally (fails it in CI) when openssl is missing; see {@link RequiredProgram}.
 */
public final class Openssl {
  /** What a run printed and returned. */
  public record Result(int exit, String stdout, String stderr, byte[] stdoutBytes) {}

  private Openssl() {}

  /**
   * Writes the configuration files an {@code openssl req -x509} PKI needs into {@code dir}:
   * {@code min.cnf} (an empty distinguished-name section), {@code ca.ext} (a CA that signs
   * certificates and CRLs) and {@code leaf.ext} (a code-signing end entity).
   */
  public static void writeCaConfigs(Path dir) throws IOException {
    Files.writeString(dir.resolve("min.cnf"), "[req]\ndistinguished_name = dn\n[dn]\n");
    Files.writeString(dir.resolve("ca.ext"), """
        basicConstraints=critical,CA:TRUE
        keyUsage=critical,keyCertSign,cRLSign
        subjectKeyIdentifier=hash
        authorityKeyIdentifier=keyid
        """);
    Files.writeString(dir.resolve("leaf.ext"), """
        basicConstraints=critical,CA:FALSE
        keyUsage=critical,digitalSignature
        extendedKeyUsage=codeSigning
        subjectKeyIdentifier=hash
        authorityKeyIdentifier=keyid
        """);
  }

  /** Runs {@code openssl args} in {@code dir} with {@code stdin} (may be null). */
  public static Result run(Path dir, byte[] stdin, String... args) {
    Path openssl = RequiredProgram.require("openssl");
    List<String> command = new ArrayList<>();
    command.add(openssl.toString());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command);
    if (dir != null) {
      pb.directory(dir.toFile());
    }
    pb.environment().remove("OPENSSL_CONF");
    try {
      Process p = pb.start();
      CompletableFuture<byte[]> out = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
      CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> readAll(p.getErrorStream()));
      try (OutputStream in = p.getOutputStream()) {
        if (stdin != null) {
          in.write(stdin);
        }
      }
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError("openssl " + String.join(" ", args) + " did not finish in 60 s");
      }
      byte[] stdout = out.join();
      return new Result(p.exitValue(), new String(stdout, StandardCharsets.UTF_8),
          new String(err.join(), StandardCharsets.UTF_8), stdout);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  /** Runs openssl and fails the test with openssl's stderr unless it exits 0. */
  public static Result ok(Path dir, String... args) {
    return ok(dir, null, args);
  }

  /** Runs openssl with {@code stdin} and fails the test with its stderr unless it exits 0. */
  public static Result ok(Path dir, byte[] stdin, String... args) {
    Result r = run(dir, stdin, args);
    if (r.exit() != 0) {
      throw new AssertionError("openssl " + String.join(" ", args) + " exited " + r.exit()
          + ":\n" + r.stderr());
    }
    return r;
  }

  private static byte[] readAll(InputStream in) {
    try (in) {
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}

package org.neguard.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.neguard.cli.server.ServerLauncher;
import picocli.CommandLine;

/**
 * The OAM-server part of the quickstart (SRC-1, SRC-2, SRC-3): starts a server in this JVM on a
 * free loopback port with its data under the quickstart's directory, creates a publisher,
 * uploads the signed sample as that publisher (accepted), uploads the tampered copy (refused
 * with the same reason as {@code pkg verify}), and verifies the audit chain. Each client step
 * runs the very command line a user would type, shown first. The server is stopped at the end.
 *
 * <p>Meant to be called by {@code QuickstartCommand} after its verify steps.
 */
final class QuickstartServer {
  private final PrintWriter out;
  private final PrintWriter err;

  private QuickstartServer(PrintWriter out, PrintWriter err) {
    this.out = out;
    this.err = err;
  }

  /**
   * Runs the server steps, numbered from {@code firstStep}.
   *
   * @param work the quickstart's directory; {@code server/} and {@code client/} are made in it
   * @param bundle the signed sample bundle
   * @param tampered the tampered copy
   * @param caCert the demo CA the sample is signed under, the server's trust anchor
   * @throws IllegalStateException if a step does not end as expected
   */
  static void run(PrintWriter out, PrintWriter err, int firstStep, Path work, Path bundle,
      Path tampered, Path caCert) throws Exception {
    new QuickstartServer(out, err).steps(firstStep, work, bundle, tampered, caCert);
  }

  private void steps(int n, Path work, Path bundle, Path tampered, Path caCert)
      throws Exception {
    Path data = work.resolve("server");
    Path client = work.resolve("client");
    Path adminPassword = secretFile(work.resolve("admin-password.txt"));
    Path publisherPassword = secretFile(work.resolve("publisher-password.txt"));
    step(n, "Start an OAM server on a free loopback port (embedded database in " + data + ")");
    show("server", "--data", data.toString(), "--port", "0", "--trust", caCert.toString(),
        "--admin-password-file", adminPassword.toString());
    try (ServerLauncher.Running server = ServerLauncher.startQuiet(data, adminPassword, caCert)) {
      String url = server.url();
      out.println("NEGuard server listening on " + url);
      out.flush();
      String[] cfg = {"--config", client.toString()};

      step(n + 1, "Log in as the first admin and create a publisher account");
      require(0, cat(new String[] {"login", "--server", url, "--user", "admin",
          "--password-file", adminPassword.toString()}, cfg));
      require(0, cat(new String[] {"user", "add", "publisher1", "--role", "publisher",
          "--password-file", publisherPassword.toString()}, cfg));

      step(n + 2, "Upload the signed package as the publisher: the server verifies it, then stores it");
      require(0, cat(new String[] {"login", "--server", url, "--user", "publisher1",
          "--password-file", publisherPassword.toString()}, cfg));
      require(0, cat(new String[] {"pkg", "upload", bundle.toString()}, cfg));

      step(n + 3, "Upload the tampered copy: refused, with the same reason as pkg verify, nothing stored");
      require(3, cat(new String[] {"pkg", "upload", tampered.toString()}, cfg));
      require(0, cat(new String[] {"pkg", "list"}, cfg));

      step(n + 4, "Read the hash-chained audit log as admin, and verify the chain");
      require(0, cat(new String[] {"login", "--server", url, "--user", "admin",
          "--password-file", adminPassword.toString()}, cfg));
      require(0, cat(new String[] {"audit", "list", "--limit", "6"}, cfg));
      require(0, cat(new String[] {"audit", "verify"}, cfg));
    }
    out.println();
    out.println("The server was stopped; its data is in " + data);
    out.flush();
  }

  private static Path secretFile(Path file) throws IOException {
    byte[] random = new byte[12];
    new SecureRandom().nextBytes(random);
    Files.deleteIfExists(file);
    Files.createFile(file,
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(file, "qs-" + HexFormat.of().formatHex(random) + "\n",
        StandardCharsets.US_ASCII);
    return file;
  }

  private static String[] cat(String[] a, String[] b) {
    String[] all = new String[a.length + b.length];
    System.arraycopy(a, 0, all, 0, a.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  private void step(int n, String text) {
    out.println();
    out.println("== " + n + ". " + text);
    out.flush();
  }

  private void show(String... args) {
    StringBuilder shown = new StringBuilder("$ neguard");
    for (String a : args) {
      shown.append(' ').append(a.contains(" ") ? "'" + a + "'" : a);
    }
    out.println(shown);
    out.flush();
  }

  private void require(int expectedExit, String... args) {
    show(args);
    CommandLine cl = Main.newCommandLine();
    cl.setOut(out);
    cl.setErr(err);
    int exit = cl.execute(args);
    if (exit != expectedExit) {
      throw new IllegalStateException(
          "'neguard " + String.join(" ", args) + "' exited " + exit + ", expected " + expectedExit);
    }
  }
}

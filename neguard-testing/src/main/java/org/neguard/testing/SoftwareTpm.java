package org.neguard.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A software TPM 2.0 (swtpm) on loopback for one test, with tpm2-tools pointed at it: a real
 * TPM's command set, state in a directory of its own. Close it to stop swtpm.
 */
public final class SoftwareTpm implements AutoCloseable {
  private final Path dir;
  private final Process swtpm;
  private final String tcti;
  private final int ctrlPort;

  private SoftwareTpm(Path dir, Process swtpm, int port) {
    this.dir = dir;
    this.swtpm = swtpm;
    this.tcti = "swtpm:host=127.0.0.1,port=" + port;
    this.ctrlPort = port + 1;
  }

  /**
   * Starts swtpm as {@link #start}, manufactured first by {@code swtpm_setup --create-ek-cert}
   * with a local CA of its own in {@code dir/ca} (swtpm_localca): the RSA EK's certificate is
   * in NV index 0x01c00002, issued by that CA's intermediate under its root
   * ({@link #ekCaCertificates}). Each call makes another CA.
   */
  public static SoftwareTpm startWithEkCertificate(Path dir)
      throws IOException, InterruptedException {
    Path setup = RequiredProgram.require("swtpm_setup");
    Path localca = RequiredProgram.require("swtpm_localca");
    Path ca = Files.createDirectories(dir.resolve("ca"));
    Files.createDirectories(dir.resolve("state"));
    Files.writeString(dir.resolve("localca.conf"), "statedir = " + ca + "\n"
        + "signingkey = " + ca.resolve("signkey.pem") + "\n"
        + "issuercert = " + ca.resolve("issuercert.pem") + "\n"
        + "certserial = " + ca.resolve("certserial") + "\n");
    Files.writeString(dir.resolve("localca.options"), "--platform-manufacturer NEGuard\n"
        + "--platform-version 1.0\n--platform-model test\n");
    Files.writeString(dir.resolve("swtpm_setup.conf"), "create_certs_tool = " + localca
        + "\ncreate_certs_tool_config = " + dir.resolve("localca.conf")
        + "\ncreate_certs_tool_options = " + dir.resolve("localca.options")
        + "\nactive_pcr_banks = sha256\n");
    Process p = new ProcessBuilder(setup.toString(), "--tpm2", "--tpmstate",
        dir.resolve("state").toString(), "--create-ek-cert", "--config",
        dir.resolve("swtpm_setup.conf").toString(), "--overwrite")
        .redirectErrorStream(true).redirectOutput(dir.resolve("swtpm_setup.log").toFile())
        .start();
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException("swtpm_setup failed: " + Files.readString(dir.resolve(
          "swtpm_setup.log")));
    }
    return start(dir);
  }

  /**
   * The local CA's certificates of a TPM made by {@link #startWithEkCertificate}, PEM: the root
   * ({@code swtpm-localca-rootca-cert.pem}) and the intermediate that issued the EK certificate.
   */
  public List<Path> ekCaCertificates() {
    return List.of(dir.resolve("ca/swtpm-localca-rootca-cert.pem"),
        dir.resolve("ca/issuercert.pem"));
  }

  /**
   * Resets the TPM as a reboot does (TPM2_Shutdown CLEAR, then swtpm's control channel:
   * _TPM_Init, then TPM2_Startup CLEAR): the resetCount goes up and the PCRs that are not resettable start from zero again.
   */
  public void reset() throws IOException, InterruptedException {
    // An orderly shutdown first, as an operating system does: a TPM reset without one counts
    // as an attack on dictionary-attack-protected keys (the AK) and locks them out.
    ok("tpm2_shutdown", "-c");
    initAndStartClear();
  }

  /**
   * Restarts the TPM as a resume from hibernation does (TPM2_Shutdown STATE, _TPM_Init, then
   * TPM2_Startup CLEAR: a TPM Restart): the resetCount stays, the restartCount goes up and the
   * PCRs start from zero again.
   */
  public void restart() throws IOException, InterruptedException {
    ok("tpm2_shutdown");
    initAndStartClear();
  }

  private void initAndStartClear() throws IOException, InterruptedException {
    Path ioctl = RequiredProgram.require("swtpm_ioctl");
    Process p = new ProcessBuilder(ioctl.toString(), "--tcp", "127.0.0.1:" + ctrlPort, "-i")
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException("swtpm_ioctl -i failed: " + out);
    }
    ok("tpm2_startup", "-c");
  }

  /**
   * Starts swtpm with its state in {@code dir} (created), manufactured and started up.
   * swtpm and tpm2-tools are required programs ({@link RequiredProgram}).
   */
  public static SoftwareTpm start(Path dir) throws IOException, InterruptedException {
    Path bin = RequiredProgram.require("swtpm");
    RequiredProgram.require("tpm2_startup");
    Files.createDirectories(dir.resolve("state"));
    for (int attempt = 0; ; attempt++) {
      int port = freePort();
      Process p = new ProcessBuilder(bin.toString(), "socket", "--tpm2", "--tpmstate",
          "dir=" + dir.resolve("state"), "--server", "type=tcp,port=" + port
          + ",bindaddr=127.0.0.1", "--ctrl", "type=tcp,port=" + (port + 1)
          + ",bindaddr=127.0.0.1", "--flags", "not-need-init,startup-clear")
          .redirectErrorStream(true).redirectOutput(dir.resolve("swtpm.log").toFile()).start();
      if (awaitPort(port, p)) {
        return new SoftwareTpm(dir, p, port);
      }
      p.destroyForcibly();
      if (attempt == 3) {
        throw new IOException("swtpm did not start: " + Files.readString(dir.resolve(
            "swtpm.log")));
      }
    }
  }

  private static int freePort() throws IOException {
    // swtpm needs two consecutive ports (server, control).
    for (int i = 0; i < 50; i++) {
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      if (port < 65535) {
        try (ServerSocket ctrl = new ServerSocket(port + 1)) {
          return port;
        } catch (IOException busy) {
          // try another pair
        }
      }
    }
    throw new IOException("no two consecutive free ports on loopback");
  }

  private static boolean awaitPort(int port, Process p) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline && p.isAlive()) {
      try (Socket s = new Socket("127.0.0.1", port)) {
        return true;
      } catch (IOException notYet) {
        Thread.sleep(50);
      }
    }
    return false;
  }

  /** The TCTI string that points tpm2-tools (or the TSS) at this TPM. */
  public String tcti() {
    return tcti;
  }

  /** The result of one tpm2-tools run. */
  public record Run(int exit, String output) {}

  /**
   * Runs a tpm2-tools command against this TPM in its directory, transient objects flushed
   * afterwards (a TPM holds only a few).
   *
   * @throws AssertionError if it exits non-zero
   */
  public String ok(String... command) throws IOException, InterruptedException {
    Run r = run(command);
    if (r.exit() != 0) {
      throw new AssertionError(String.join(" ", command) + " exited " + r.exit() + ": "
          + r.output());
    }
    return r.output();
  }

  /** As {@link #ok} without the exit check. */
  public Run run(String... command) throws IOException, InterruptedException {
    Run r = exec(command);
    exec("tpm2_flushcontext", "-t");
    return r;
  }

  private Run exec(String... command) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(command));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true);
    pb.environment().put("TPM2TOOLS_TCTI", tcti);
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException(cmd.get(0) + " did not finish in 60 s");
    }
    return new Run(p.exitValue(), out);
  }

  /**
   * The public key (X.509 SubjectPublicKeyInfo, DER) of a key made under the owner's ECC
   * storage primary ({@code tpm2_createprimary -C o -G ecc}) from its blobs, as tpm2-tools read
   * it: loaded by this TPM, then {@code tpm2_readpublic -f der}. An outside view of the key
   * NEGuard's Java reads from the same blobs.
   */
  public byte[] readPublic(Path pub, Path priv) throws IOException, InterruptedException {
    Path der = dir.resolve("readpublic.der");
    ok("tpm2_createprimary", "-C", "o", "-g", "sha256", "-G", "ecc", "-c", "readpublic-p.ctx");
    ok("tpm2_load", "-C", "readpublic-p.ctx", "-u", pub.toString(), "-r", priv.toString(),
        "-c", "readpublic-k.ctx");
    ok("tpm2_readpublic", "-c", "readpublic-k.ctx", "-f", "der", "-o", der.toString());
    return Files.readAllBytes(der);
  }

  /**
   * The files under {@code root} that hold a private key: PEM of any kind ("PRIVATE KEY") or
   * DER PKCS#8 of an EC or RSA key. A TPM-held key leaves none.
   */
  public static List<Path> privateKeyFiles(Path root) throws IOException {
    List<Path> found = new ArrayList<>();
    try (var files = Files.walk(root)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        byte[] bytes = Files.readAllBytes(f);
        if (new String(bytes, StandardCharsets.ISO_8859_1).contains("PRIVATE KEY")
            || pkcs8(bytes)) {
          found.add(f);
        }
      }
    }
    return found;
  }

  private static boolean pkcs8(byte[] der) {
    for (String algorithm : new String[] {"EC", "RSA"}) {
      try {
        java.security.KeyFactory.getInstance(algorithm)
            .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(der));
        return true;
      } catch (java.security.GeneralSecurityException | RuntimeException notThis) {
        // not a PKCS#8 key of this algorithm
      }
    }
    return false;
  }

  /** The directory commands run in (relative file names land here). */
  public Path dir() {
    return dir;
  }

  @Override
  public void close() throws InterruptedException {
    swtpm.destroy();
    if (!swtpm.waitFor(5, TimeUnit.SECONDS)) {
      swtpm.destroyForcibly();
    }
  }
}

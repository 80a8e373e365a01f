package org.neguard.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.neguard.pkg.BundleLayout;
import org.neguard.demo.DemoClamd;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code neguard quickstart}: the whole publication path on a sample package, with the same
 * commands a user would type, so what it shows is what they get.
 */
@Command(
    name = "quickstart",
    mixinStandardHelpOptions = true,
    description = {
      "Walk through NEGuard end to end on a sample MME package, with a demo PKI and a "
          + "private clamd.",
      "It builds the package, scans it with a private clamd (demo signature database), signs "
          + "and verifies it (PASS), tampers one byte of a copy and verifies again (refused), then "
          + "builds a variant carrying the EICAR test file: the scan finds it and signing is "
          + "refused (AV-2). Between them an OAM server on loopback takes the signed package from "
          + "a publisher and refuses the tampered copy, deploys it to simulated devices with four-eyes "
          + "approval, publishes it in a TUF repository under a 2-of-2 root that two key holders "
          + "sign, where NEGuard's TUF client and tuf-js fetch it, and a real NE agent (a process "
          + "of its own) installs it, upgrades it, and rolls back by itself a version whose health "
          + "check fails; its audit chain verifies. Needs clamd "
          + "and sigtool (Debian: clamav-daemon, clamav). Last, a hardening check of this "
          + "machine's listening sockets against the sample MME policy, with HTML evidence."
    })
final class QuickstartCommand implements Callable<Integer> {
  private static final String DEMO_NOTE =
      "DEMO signature database built by the NEGuard quickstart (EICAR and a test marker only);"
          + " not a ClamAV database, not evidence of a real scan";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--dir", paramLabel = "DIR",
      description = "Work directory (must not exist; default: a new temporary directory).")
  Path dir;

  // The launcher's AOT training verifies the quickstart's signed package, and needs nothing
  // after it: the rest (a server, agents, a repository) tripled a first run's wait.
  @Option(names = "--package-only", hidden = true,
      description = "Stop once the sample package is built, scanned, signed and verified"
          + " (steps 1 to 7).")
  boolean packageOnly;

  @Override
  public Integer call() throws Exception {
    Path work = dir != null ? dir : Files.createTempDirectory("neguard-quickstart-");
    if (dir != null) {
      if (Files.exists(dir)) {
        throw new java.nio.file.FileAlreadyExistsException(dir.toString());
      }
      Files.createDirectories(dir);
    }
    Path pki = work.resolve("pki");
    Path sample = work.resolve("sample-mme");
    Path bundle = work.resolve("sample-mme-1.0.0" + BundleLayout.EXTENSION);
    Path tampered = work.resolve("sample-mme-1.0.0-tampered" + BundleLayout.EXTENSION);
    Path infected = work.resolve("sample-mme-1.0.1-infected" + BundleLayout.EXTENSION);
    byte[] library = writeSample(sample);
    String ca = pki.resolve("ca.pem").toString();

    step("1. A throw-away demo PKI (root CA + vendor code-signing certificate)");
    require(0, "pki", "demo", "--out", pki.toString());
    step("2. Build the sample MME package");
    build(sample, bundle, "1.0.0");
    int next;
    step("3. Start a private clamd with a DEMO signature database (EICAR and a test marker only)");
    try (DemoClamd clamd = DemoClamd.builder(work.resolve("clamd")).start()) {
      out().println("clamd pid " + clamd.pid() + " on " + clamd.socket() + ", database version "
          + clamd.databaseVersion() + " built by " + DemoClamd.BUILDER);
      step("4. Scan every file with it; the report goes into the package (AV-1, AV-3)");
      require(0, "pkg", "scan", bundle.toString(), "--engine", clamd.unixSpec(), "--note",
          DEMO_NOTE);
      step("5. Sign it with the vendor's key (CMS, RFC 5652); the publication gate checks the scan");
      require(0, "pkg", "sign", bundle.toString(), "--key", pki.resolve("vendor.key").toString(),
          "--cert", pki.resolve("vendor.pem").toString());
      step("6. Verify it as an operator would: expect PASS");
      require(0, "pkg", "verify", bundle.toString(), "--trust", ca);
      step("7. Change one byte of lib/libs1ap.so in a copy, and verify again: expect a refusal");
      Files.copy(bundle, tampered, StandardCopyOption.REPLACE_EXISTING);
      flipByteOf(tampered, library);
      require(3, "pkg", "verify", tampered.toString(), "--trust", ca);
      if (packageOnly) {
        out().println();
        out().println("Stopped after the package's steps (--package-only); files are in "
            + work);
        out().flush();
        return 0;
      }
      step("8. Two newer versions for the NE agent's steps, scanned and signed the same way:"
          + " 1.1.0, and 1.2.0 whose mme.conf lost its S1AP port (its health check will fail);"
          + " and a package whose SBOM names telnetd, for the server's vulnerability gate");
      QuickstartAgent.Versions newer = new QuickstartAgent.Versions("sample-mme", "1.0.0",
          newerVersion(work, "1.1.0", clamd, pki, false), "1.1.0",
          newerVersion(work, "1.2.0", clamd, pki, true), "1.2.0");
      VulnGateStep.Package telnetGw = vulnerablePackage(work, clamd, pki);
      next = QuickstartServer.run(out(), spec.commandLine().getErr(), 9, work, bundle,
          "sample-mme", "1.0.0", tampered, pki.resolve("ca.pem"), newer, telnetGw);
      step(next + ". A variant carrying the EICAR test file: the scan finds it, signing is refused");
      Path infectedTree = work.resolve("sample-mme-infected");
      writeSample(infectedTree);
      Files.writeString(infectedTree.resolve("lib/plugin.dat"), DemoClamd.EICAR,
          StandardCharsets.US_ASCII);
      build(infectedTree, infected, "1.0.1");
      require(3, "pkg", "scan", infected.toString(), "--engine", clamd.unixSpec(), "--note",
          DEMO_NOTE);
      require(3, "pkg", "sign", infected.toString(), "--key",
          pki.resolve("vendor.key").toString(), "--cert", pki.resolve("vendor.pem").toString());
      step((next + 1) + ". The scan reports as a page for an auditor");
      require(0, "pkg", "scan-report", bundle.toString(), "--trust", ca, "--html",
          work.resolve("scan-report.html").toString());
    }

    step((next + 2) + ". Hardening: list this machine's listening sockets, judge them against the sample MME"
        + " policy and write the evidence (this machine is no MME: expect undeclared ports)");
    Path inventory = work.resolve("inventory.json");
    Path policy = work.resolve("mme-policy.yaml");
    try (var in = QuickstartCommand.class.getResourceAsStream("policies/mme.yaml")) {
      if (in == null) {
        throw new IllegalStateException("the sample MME policy is missing from the jar");
      }
      Files.copy(in, policy);
    }
    require(0, "harden", "inventory", "--out", inventory.toString());
    requireVerdict("harden", "check", "--policy", policy.toString(), "--inventory",
        inventory.toString(), "--report", work.resolve("hardening").toString());

    out().println();
    out().println("Quickstart done: the scanned and signed package passed (and the server took"
        + " it), the tampered copy was refused, its deployment needed a second person's approval"
        + " and reached every simulated device, the TUF repository under an offline 2-of-2 root"
        + " served it to two TUF clients, a real NE agent installed it, upgraded it and rolled"
        + " back a version that failed its health check, the infected variant could not be"
        + " signed; the"
        + " hardening evidence is in hardening/hardening-report.html.");
    out().println("Files are in " + work);
    out().flush();
    return 0;
  }

  /**
   * Builds, scans and signs {@code version} of the sample; {@code broken}: its mme.conf without
   * the S1AP port, which the quickstart agent's health check looks for.
   */
  private Path newerVersion(Path work, String version, DemoClamd clamd, Path pki, boolean broken)
      throws IOException {
    Path tree = work.resolve("sample-mme-" + version);
    writeSample(tree);
    if (broken) {
      Path conf = tree.resolve("etc/mme.conf");
      Files.writeString(conf, Files.readString(conf).replaceAll("(?m)^s1ap\\.sctp\\.port.*\n",
          ""));
    }
    Path out = work.resolve("sample-mme-" + version + BundleLayout.EXTENSION);
    build(tree, out, version);
    require(0, "pkg", "scan", out.toString(), "--engine", clamd.unixSpec(), "--note", DEMO_NOTE);
    require(0, "pkg", "sign", out.toString(), "--key", pki.resolve("vendor.key").toString(),
        "--cert", pki.resolve("vendor.pem").toString());
    return out;
  }

  /** The package for the publication gate's step: its SBOM names a vulnerable telnetd. */
  private VulnGateStep.Package vulnerablePackage(Path work, DemoClamd clamd, Path pki)
      throws IOException {
    Path tree = work.resolve("sample-telnet-gw");
    writeSample(tree);
    Path out = work.resolve("sample-telnet-gw-1.0.0" + BundleLayout.EXTENSION);
    VulnGateStep.build(tree, out, "sample-telnet-gw", "1.0.0", args -> require(0, args));
    require(0, "pkg", "scan", out.toString(), "--engine", clamd.unixSpec(), "--note", DEMO_NOTE);
    require(0, "pkg", "sign", out.toString(), "--key", pki.resolve("vendor.key").toString(),
        "--cert", pki.resolve("vendor.pem").toString());
    return new VulnGateStep.Package(out, "sample-telnet-gw", "1.0.0");
  }

  private void build(Path tree, Path out, String version) {
    require(0, "pkg", "build", "--name", "sample-mme", "--version", version,
        "--security-version", "1", "--ne-type", "mme", "--vendor", "Demo Vendor",
        "--from", tree.toString(), "--out", out.toString());
  }

  private void step(String text) {
    out().println();
    out().println("== " + text);
    out().flush();
  }

  /** Runs a neguard command line as a user would type it, showing it first. */
  private void require(int expectedExit, String... args) {
    int exit = run(args);
    if (exit != expectedExit) {
      throw new IllegalStateException(
          "'neguard " + String.join(" ", args) + "' exited " + exit + ", expected " + expectedExit);
    }
  }

  private int run(String... args) {
    QuickstartText.show(out(), args);
    CommandLine cl = Main.newCommandLine();
    cl.setOut(out());
    cl.setErr(spec.commandLine().getErr());
    return cl.execute(args);
  }

  /** Runs a command whose verdict may go either way (0 or 3), but must be a verdict. */
  private void requireVerdict(String... args) {
    int exit = run(args);
    if (exit != 0 && exit != 3) {
      throw new IllegalStateException(
          "'neguard " + String.join(" ", args) + "' exited " + exit + ", expected a verdict");
    }
  }

  private java.io.PrintWriter out() {
    return spec.commandLine().getOut();
  }

  /** Writes the sample tree; returns the bytes of its binary library. */
  static byte[] writeSample(Path sample) throws IOException {
    Files.createDirectories(sample.resolve("bin"));
    Files.createDirectories(sample.resolve("etc"));
    Files.createDirectories(sample.resolve("lib"));
    Path daemon = sample.resolve("bin/mme-daemon");
    Files.writeString(daemon, "#!/bin/sh\n# sample MME daemon launcher\nexec /opt/mme/lib/mme \"$@\"\n",
        StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(daemon, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.writeString(sample.resolve("etc/mme.conf"), String.join("\n", List.of(
        "# sample MME configuration",
        "s1ap.sctp.port = 36412",
        "sgs.sctp.port = 29118",
        "gtpc.udp.port = 2123",
        "")), StandardCharsets.UTF_8);
    byte[] library = new byte[256 * 1024];
    new SecureRandom().nextBytes(library);
    Files.write(sample.resolve("lib/libs1ap.so"), library);
    return library;
  }

  /**
   * Flips one byte of {@code content} where it lies in {@code file}, as corruption or an
   * attacker with write access to the file would.
   */
  private static void flipByteOf(Path file, byte[] content) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    byte[] needle = Arrays.copyOf(content, 64);
    for (int i = 0; i + needle.length <= bytes.length; i++) {
      if (Arrays.equals(bytes, i, i + needle.length, needle, 0, needle.length)) {
        bytes[i + 1000] ^= 0x01;
        Files.write(file, bytes);
        return;
      }
    }
    throw new IllegalStateException("sample library not found stored in " + file);
  }
}

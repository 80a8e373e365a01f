package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.neguard.demo.DemoClamd;

/** Bundles as a vendor ships them, through the CLI: built, scanned (AV-2), signed. */
public final class SignedBundles {
  private SignedBundles() {}

  /** A demo PKI in {@code pki} ({@code ca.pem}, {@code vendor.key}, {@code vendor.pem}). */
  public static Path demoPki(Path pki) {
    CliRun r = CliRun.of("pki", "demo", "--out", pki.toString());
    assertThat(r.exit()).as("%s", r).isZero();
    return pki;
  }

  /**
   * {@code dir/NAME-VERSION.ngp}: a bundle of one file, {@code lib/core.so} holding {@code lib},
   * scanned by a demo clamd and signed by the vendor of {@code pki}.
   */
  public static Path build(Path dir, Path pki, String name, String version, int securityVersion,
      String neType, byte[] lib) throws Exception {
    Path tree = Files.createTempDirectory(dir, "tree-");
    Files.createDirectories(tree.resolve("lib"));
    Files.write(tree.resolve("lib/core.so"), lib);
    return build(dir, pki, name, version, securityVersion, neType, tree);
  }

  /**
   * {@code dir/NAME-VERSION.ngp}: a bundle of the files under {@code tree} (permissions kept),
   * scanned by a demo clamd and signed by the vendor of {@code pki}.
   */
  public static Path build(Path dir, Path pki, String name, String version, int securityVersion,
      String neType, Path tree) throws Exception {
    Path bundle = dir.resolve(name + "-" + version + ".ngp");
    CliRun build = CliRun.of("pkg", "build", "--name", name, "--version", version,
        "--security-version", String.valueOf(securityVersion), "--ne-type", neType, "--vendor",
        "ACME", "--from", tree.toString(), "--out", bundle.toString());
    assertThat(build.exit()).as("%s", build).isZero();
    return scanAndSign(dir, pki, bundle, name, version);
  }

  private static Path scanAndSign(Path dir, Path pki, Path bundle, String name, String version)
      throws Exception {
    // The server applies the anti-virus publication gate (AV-2): scan before signing.
    Path clamdDir = dir.resolve("clamd-" + name + "-" + version);
    try (DemoClamd clamd = DemoClamd.builder(clamdDir).start()) {
      CliRun scan = CliRun.of("pkg", "scan", bundle.toString(), "--engine", clamd.unixSpec());
      assertThat(scan.exit()).as("%s", scan).isZero();
    }
    CliRun sign = CliRun.of("pkg", "sign", bundle.toString(), "--key",
        pki.resolve("vendor.key").toString(), "--cert", pki.resolve("vendor.pem").toString());
    assertThat(sign.exit()).as("%s", sign).isZero();
    return bundle;
  }
}

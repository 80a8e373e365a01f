package org.neguard.cli.pkg;

import java.io.Console;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.neguard.cli.support.CommandBase;
import org.neguard.cli.support.ForceOption;
import org.neguard.cli.support.Output;
import org.neguard.cli.support.ScanPolicyOptions;
import org.neguard.cli.support.TerminalProgress;
import org.neguard.pkg.BundleLimits;
import org.neguard.pkg.BundleReader;
import org.neguard.pkg.BundleSigner;
import org.neguard.pkg.Manifest;
import org.neguard.sign.Certificates;
import org.neguard.sign.KeyMaterial;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code neguard pkg sign} (INT-2). */
@Command(
    name = "sign",
    mixinStandardHelpOptions = true,
    description = {
      "Sign a bundle: check every file against the manifest, then add a detached CMS "
          + "signature (RFC 5652, SHA-256) over the manifest with the vendor's code-signing key.",
      "Keys: ECDSA, RSA (PSS or PKCS#1 v1.5), Ed25519; from PEM files (--key/--cert) or "
          + "PKCS#12 (--keystore). The key's password comes from --pass-file or "
          + "NEGUARD_KEY_PASSWORD. Publication gate (AV-2): signing is refused unless the bundle "
          + "carries clean scan reports ('neguard pkg scan') for exactly its payload that meet the "
          + "scan policy."
    })
final class PkgSignCommand extends CommandBase {
  @Mixin ScanPolicyOptions scanPolicy;

  @Parameters(index = "0", paramLabel = "FILE", description = "The bundle to sign.")
  Path file;

  @Option(names = "--key", paramLabel = "KEY.pem", description = "PEM private key.")
  Path key;

  @Option(names = "--cert", paramLabel = "CERT.pem",
      description = "PEM signer certificate (further certificates in it are embedded as the chain).")
  Path cert;

  @Option(names = "--chain", paramLabel = "CHAIN.pem",
      description = "PEM intermediate CA certificates to embed.")
  Path chain;

  @Option(names = "--keystore", paramLabel = "P12", description = "PKCS#12 keystore (instead of --key/--cert).")
  Path keystore;

  @Option(names = "--alias", description = "Key entry in the keystore (default: its only key).")
  String alias;

  @Option(names = "--pass-file", paramLabel = "FILE",
      description = "File whose first line is the key or keystore password.")
  Path passFile;

  @Option(names = "--rsa-padding", paramLabel = "pss|pkcs1", defaultValue = "pss",
      description = "Padding for RSA keys: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  KeyMaterial.RsaPadding rsaPadding;

  @Option(names = "--out", paramLabel = "FILE", description = "Write the signed bundle here (default: in place).")
  Path out;

  @Option(names = "--resign", description = "Replace an existing signature.")
  boolean resign;

  @Mixin ForceOption force;

  @Override
  public Object target() {
    return file;
  }

  @Override
  public Integer call() throws Exception {
    boolean pem = key != null || cert != null;
    if (pem == (keystore != null) || (pem && (key == null || cert == null))) {
      throw usage("give either --key and --cert, or --keystore");
    }
    char[] password = password(keystore != null);
    KeyMaterial material =
        keystore != null
            ? KeyMaterial.fromPkcs12(keystore, password, alias, rsaPadding)
            : KeyMaterial.fromPem(key, cert, chain, password, rsaPadding);
    Path target = Bundles.outputOf(file, out, force);
    Output output = output();
    try (TerminalProgress progress = TerminalProgress.bytes(output, "checking")) {
      new BundleSigner(
              BundleLimits.defaults(),
              Runtime.getRuntime().availableProcessors(),
              scanPolicy.gate(commandLine()))
          .sign(file, material, target, resign, progress);
    }
    Manifest m;
    try (BundleReader reader = BundleReader.open(target, BundleLimits.defaults())) {
      m = reader.manifest();
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("bundle", target.toString());
    details.put("signed", true);
    details.put("signer", Certificates.subject(material.certificate()));
    details.put("signatureAlgorithm", material.signatureAlgorithm());
    details.put("package", Describe.pkg(m, false));
    return output.done(
        "signed " + target + "\n" + Describe.pkgText(m) + "\n  signer     "
            + Certificates.subject(material.certificate()) + " (" + material.signatureAlgorithm()
            + ")",
        details);
  }

  private char[] password(boolean required) throws Exception {
    if (passFile != null) {
      String text = Files.readString(passFile, StandardCharsets.UTF_8);
      int nl = text.indexOf('\n');
      return (nl < 0 ? text : text.substring(0, nl)).replace("\r", "").toCharArray();
    }
    String env = System.getenv("NEGUARD_KEY_PASSWORD");
    if (env != null) {
      return env.toCharArray();
    }
    if (!required) {
      return null;
    }
    Console console = System.console();
    if (console != null) {
      char[] typed = console.readPassword("keystore password: ");
      if (typed != null) {
        return typed;
      }
    }
    throw new RefusalException(
        ReasonCode.BAD_INPUT,
        "the keystore needs a password: give --pass-file or set NEGUARD_KEY_PASSWORD");
  }
}

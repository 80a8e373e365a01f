package org.neguard.pki;

import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;

/**
 * A throw-away PKI for trying NEGuard: a root CA and a vendor code-signing certificate, both
 * labelled DEMO in their names. Never for production: the keys are generated on the spot and
 * written unencrypted.
 */
public final class DemoPki {
  /** Files the demo PKI writes. */
  public record Created(Path caCert, Path caKey, Path vendorCert, Path vendorKey, Path readme) {}

  public static final String ROOT_SUBJECT = "CN=NEGuard DEMO Root CA - NOT FOR PRODUCTION,O=NEGuard Demo";
  public static final String VENDOR_SUBJECT =
      "CN=NEGuard DEMO Vendor Code Signing - NOT FOR PRODUCTION,O=Demo Vendor";

  private DemoPki() {}

  /**
   * Creates the demo PKI in {@code dir}: {@code ca.pem}, {@code ca.key}, {@code vendor.pem},
   * {@code vendor.key}, {@code README-DEMO.txt}. Keys are written with mode 0600.
   *
   * @throws FileAlreadyExistsException if any of the files exists
   */
  public static Created create(Path dir) throws IOException {
    Files.createDirectories(dir);
    Created out = new Created(
        dir.resolve("ca.pem"), dir.resolve("ca.key"), dir.resolve("vendor.pem"),
        dir.resolve("vendor.key"), dir.resolve("README-DEMO.txt"));
    for (Path p : List.of(out.caCert(), out.caKey(), out.vendorCert(), out.vendorKey())) {
      if (Files.exists(p)) {
        throw new FileAlreadyExistsException(p.toString());
      }
    }
    Instant now = Instant.now();
    KeyPair root = KeyType.EC_P256.generate();
    X509Certificate rootCert = CertificateIssuer.forSubject(ROOT_SUBJECT, root.getPublic())
        .validity(now.minus(Duration.ofMinutes(5)), now.plus(Duration.ofDays(3650)))
        .ca()
        .selfSigned(root.getPrivate());
    KeyPair vendor = KeyType.EC_P256.generate();
    X509Certificate vendorCert = CertificateIssuer.forSubject(VENDOR_SUBJECT, vendor.getPublic())
        .validity(now.minus(Duration.ofMinutes(5)), now.plus(Duration.ofDays(730)))
        .codeSigning()
        .issuedBy(rootCert, root.getPrivate());
    write(out.caCert(), pem(rootCert), false);
    write(out.caKey(), pem(new JcaPKCS8Generator(root.getPrivate(), null)), true);
    write(out.vendorCert(), pem(vendorCert), false);
    write(out.vendorKey(), pem(new JcaPKCS8Generator(vendor.getPrivate(), null)), true);
    Files.writeString(out.readme(), """
        THIS IS A DEMO PKI. DO NOT USE IT FOR PRODUCTION.

        Its keys were generated on the spot and are stored unencrypted. Anyone who can read
        this directory can sign packages that verifiers configured with ca.pem will accept.

        ca.pem      demo root CA certificate (give it to 'neguard pkg verify --trust')
        ca.key      demo root CA key (to issue CRLs or more certificates when experimenting)
        vendor.pem  demo vendor code-signing certificate
        vendor.key  demo vendor code-signing key (give both to 'neguard pkg sign')
        """, StandardCharsets.UTF_8);
    return out;
  }

  /** PEM text of a certificate, key or other object Bouncy Castle can write. */
  public static String pem(Object object) throws IOException {
    StringWriter s = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(s)) {
      w.writeObject(object);
    }
    return s.toString();
  }

  private static void write(Path file, String text, boolean secret) throws IOException {
    if (secret) {
      Files.createFile(file, PosixFilePermissions.asFileAttribute(
          PosixFilePermissions.fromString("rw-------")));
      Files.writeString(file, text, StandardCharsets.US_ASCII, StandardOpenOption.TRUNCATE_EXISTING);
    } else {
      Files.writeString(file, text, StandardCharsets.US_ASCII, StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE);
    }
  }
}

package org.neguard.sign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.neguard.pki.CertificateIssuer;
import org.neguard.pki.KeyType;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/** INT-2: the whole path is valid, the trust anchor included (the JDK's PKIX does not check it). */
class TrustAnchorValidityTest {
  @Test
  void verify_expiredTrustAnchor_certValidity() throws Exception {
    Instant now = Instant.now();
    KeyPair rootKey = KeyType.EC_P256.generate();
    X509Certificate root = CertificateIssuer.forSubject("CN=Expired Root", rootKey.getPublic())
        .validity(now.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(1)))
        .ca()
        .selfSigned(rootKey.getPrivate());
    KeyPair key = KeyType.EC_P256.generate();
    X509Certificate leaf = CertificateIssuer.forSubject("CN=Signer", key.getPublic())
        .validity(now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(30)))
        .codeSigning()
        .issuedBy(root, rootKey.getPrivate());
    byte[] content = "manifest".getBytes(StandardCharsets.UTF_8);
    byte[] signature = CmsSigner.signDetached(content,
        KeyMaterial.of(key.getPrivate(), leaf, List.of(), KeyMaterial.RsaPadding.PSS));
    SignatureVerifier verifier =
        new SignatureVerifier(new TrustStore(List.of(root), List.of()), Clock.systemUTC());

    RefusalException e = catchThrowableOfType(RefusalException.class,
        () -> verifier.verify(content, signature, "Any Vendor"));

    assertThat(e).isNotNull();
    assertThat(e.code()).isEqualTo(ReasonCode.CERT_VALIDITY);
    assertThat(e.reasons().get(0).message()).contains("trust anchor", "Expired Root");
  }
}

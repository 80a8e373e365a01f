package org.neguard.sign;

import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Collection;
import java.util.Optional;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.Time;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.SignerInformation;

/**
 * What a signature <em>claims</em> about its signer, read without verifying anything: for
 * display ({@code pkg inspect}), never for a decision.
 *
 * @param subject claimed signer certificate subject
 * @param issuer its issuer
 * @param signingTime claimed signing time, or null
 */
public record UnverifiedSigner(String subject, String issuer, Instant signingTime) {
  /** Reads the claims, or empty if the signature cannot be parsed. */
  public static Optional<UnverifiedSigner> peek(byte[] signature) {
    try {
      CMSSignedData signed = new CMSSignedData(signature);
      Collection<SignerInformation> signers = signed.getSignerInfos().getSigners();
      if (signers.size() != 1) {
        return Optional.empty();
      }
      SignerInformation signer = signers.iterator().next();
      @SuppressWarnings("unchecked")
      Collection<X509CertificateHolder> certs = signed.getCertificates().getMatches(signer.getSID());
      if (certs.size() != 1) {
        return Optional.empty();
      }
      X509Certificate cert = new JcaX509CertificateConverter().getCertificate(certs.iterator().next());
      Instant time = null;
      AttributeTable attrs = signer.getSignedAttributes();
      Attribute a = attrs == null ? null : attrs.get(CMSAttributes.signingTime);
      if (a != null && a.getAttrValues().size() == 1) {
        time = Time.getInstance(a.getAttrValues().getObjectAt(0)).getDate().toInstant();
      }
      return Optional.of(new UnverifiedSigner(
          Certificates.subject(cert), cert.getIssuerX500Principal().getName(), time));
    } catch (Exception e) { // any parse failure means: nothing to show
      return Optional.empty();
    }
  }
}

package org.neguard.sign;

import java.io.IOException;
import java.security.cert.CertificateEncodingException;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.cert.jcajce.JcaCertStore;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignedDataGenerator;
import org.bouncycastle.cms.jcajce.JcaSignerInfoGeneratorBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaDigestCalculatorProviderBuilder;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Makes detached CMS SignedData (RFC 5652) over exact bytes: one signer, signed attributes
 * (content type, message digest, signing time, algorithm protection), the signer's certificate
 * and intermediates embedded. {@code openssl cms -verify} checks the result.
 */
public final class CmsSigner {
  private CmsSigner() {}

  /**
   * Signs {@code content} and returns the DER SignedData.
   *
   * @throws RefusalException {@code ALGORITHM_NOT_ALLOWED} if the signer's key or a certificate
   *     is outside the allow-list (every verifier would refuse the result), or with an error code
   *     if the identity cannot sign
   */
  public static byte[] signDetached(byte[] content, SigningIdentity identity)
      throws RefusalException {
    AllowedAlgorithms.checkCertificate(identity.certificate(), "signer certificate");
    for (java.security.cert.X509Certificate c : identity.chain()) {
      AllowedAlgorithms.checkCertificate(c, "intermediate CA");
    }
    try {
      CMSSignedDataGenerator generator = new CMSSignedDataGenerator();
      generator.addSignerInfoGenerator(
          new JcaSignerInfoGeneratorBuilder(
                  new JcaDigestCalculatorProviderBuilder().setProvider(Providers.BC).build())
              .build(identity.newContentSigner(), identity.certificate()));
      List<java.security.cert.X509Certificate> certs = new ArrayList<>();
      certs.add(identity.certificate());
      certs.addAll(identity.chain());
      generator.addCertificates(new JcaCertStore(certs));
      CMSSignedData signed = generator.generate(new CMSProcessableByteArray(content), false);
      return signed.getEncoded(ASN1Encoding.DER);
    } catch (OperatorCreationException
        | CertificateEncodingException
        | CMSException
        | IOException e) {
      throw new RefusalException(
          ReasonCode.INTERNAL, "could not make the CMS signature: " + e.getMessage(), e);
    }
  }
}

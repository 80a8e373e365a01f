package org.neguard.sign;

import java.security.GeneralSecurityException;
import java.security.cert.CertPath;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertStore;
import java.security.cert.CertificateException;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXParameters;
import java.security.cert.PKIXReason;
import java.security.cert.PKIXRevocationChecker;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.cms.Attribute;
import org.bouncycastle.asn1.cms.AttributeTable;
import org.bouncycastle.asn1.cms.CMSAttributes;
import org.bouncycastle.asn1.cms.Time;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cms.CMSException;
import org.bouncycastle.cms.CMSProcessableByteArray;
import org.bouncycastle.cms.CMSSignedData;
import org.bouncycastle.cms.CMSSignerDigestMismatchException;
import org.bouncycastle.cms.CMSVerifierCertificateNotValidException;
import org.bouncycastle.cms.SignerInformation;
import org.bouncycastle.cms.jcajce.JcaSimpleSignerInfoVerifierBuilder;
import org.bouncycastle.operator.DefaultAlgorithmNameFinder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.util.Store;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Verifies a detached CMS signature and its signer against a {@link TrustStore}.
 *
 * <p>Policy (docs/FORMAT.md, "Verification policy"):
 *
 * <ul>
 *   <li>exactly one signer, whose certificate is embedded; the signature covers the exact bytes;
 *   <li>a signing-time attribute is required, and may not lie in the future;
 *   <li>the signer chains, through embedded intermediates, to a trust anchor;
 *   <li>the whole chain is valid now <em>and</em> at the signing time. The signing time is the
 *       signer's own claim (no trusted timestamp), so it cannot extend a certificate's life: a
 *       package signed with a certificate that has since expired is refused and must be
 *       re-signed;
 *   <li>the signer certificate has the codeSigning extended key usage, and, if it has a key usage
 *       extension, digitalSignature;
 *   <li>with CRLs configured, every certificate on the path must be covered by a current CRL of
 *       its issuer and not be revoked;
 *   <li>the signature's digest and signature algorithms, the signer's key, every certificate on
 *       the path (signature and key), the anchor's key and the CRLs of the path's issuers are on
 *       the allow-list ({@link AllowedAlgorithms});
 *   <li>the trust anchor speaks for the vendor the signed content names ({@link
 *       TrustStore#speaksFor}).
 * </ul>
 *
 * <p>Verification uses the JDK's own providers (SunEC, SunRsaSign): registering Bouncy Castle's
 * provider costs a verifier on an NE about half a second of start-up for nothing.
 *
 * <p>Thread-safe.
 */
public final class SignatureVerifier {
  private static final Duration CLOCK_SKEW = Duration.ofMinutes(5);
  private static final int MAX_PATH = 8;

  private final TrustStore trust;
  private final Clock clock;

  public SignatureVerifier(TrustStore trust, Clock clock) {
    this.trust = Objects.requireNonNull(trust, "trust");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Verifies {@code signature} over {@code content}, made by a signer whose trust anchor speaks
   * for {@code vendor}.
   *
   * @param vendor the vendor the signed content claims to come from (the manifest's)
   * @return the signer, once every check has passed
   * @throws RefusalException with the first failing check's reason
   */
  public SignerDetails verify(byte[] content, byte[] signature, String vendor)
      throws RefusalException {
    Objects.requireNonNull(vendor, "vendor");
    CMSSignedData signed = parse(content, signature);
    Collection<SignerInformation> signers = signed.getSignerInfos().getSigners();
    if (signers.size() != 1) {
      throw invalid("the signature has " + signers.size() + " signers; exactly one is required");
    }
    SignerInformation signer = signers.iterator().next();
    Store<X509CertificateHolder> store = signed.getCertificates();
    Collection<X509CertificateHolder> matches = matching(store, signer);
    if (matches.size() != 1) {
      throw invalid("the signer's certificate is not embedded in the signature");
    }
    X509CertificateHolder signerHolder = matches.iterator().next();
    // Before anything is computed with them: a weak digest or key is refused as such, and a key
    // the JDK cannot load (secp256k1) is not mistaken for damage.
    String claimed = subject(signerHolder);
    AllowedAlgorithms.checkSigner(signer, claimed);
    AllowedAlgorithms.checkKey(
        signerHolder.getSubjectPublicKeyInfo(), claimed, "signer certificate '" + claimed + "'");
    X509Certificate leaf = convert(signerHolder);
    Instant signingTime = signingTime(signer);
    checkSignature(signer, signerHolder, leaf);
    Instant now = clock.instant();
    if (signingTime.isAfter(now.plus(CLOCK_SKEW))) {
      throw RefusalException.about(
          ReasonCode.CERT_VALIDITY,
          Certificates.subject(leaf),
          "the signing time " + signingTime + " lies in the future (now " + now
              + "); check the signer's and this machine's clocks");
    }
    List<X509Certificate> embedded = new ArrayList<>();
    for (X509CertificateHolder h : store.getMatches(null)) {
      embedded.add(convert(h));
    }
    Path path = buildPath(leaf, embedded);
    checkAlgorithms(path);
    // PKIX takes a trust anchor's dates on faith; the policy wants the whole path valid.
    checkAnchorValidity(path.anchor(), now);
    checkAnchorValidity(path.anchor(), signingTime);
    validate(path, now, !trust.crls().isEmpty());
    validate(path, signingTime, false);
    checkKeyUsage(leaf);
    checkVendor(path.anchor(), vendor);
    List<String> subjects = new ArrayList<>();
    path.certs().forEach(c -> subjects.add(Certificates.subject(c)));
    subjects.add(Certificates.subject(path.anchor()));
    return new SignerDetails(
        Certificates.subject(leaf),
        leaf.getIssuerX500Principal().getName(),
        leaf.getSerialNumber().toString(16),
        Certificates.fingerprint(leaf),
        leaf.getNotBefore().toInstant(),
        leaf.getNotAfter().toInstant(),
        signingTime,
        new DefaultAlgorithmNameFinder().getAlgorithmName(signer.getEncryptionAlgOID() == null
            ? null : new org.bouncycastle.asn1.ASN1ObjectIdentifier(signer.getEncryptionAlgOID())),
        subjects);
  }

  @SuppressWarnings("unchecked") // SignerId is a raw Selector in Bouncy Castle's API
  private static Collection<X509CertificateHolder> matching(
      Store<X509CertificateHolder> store, SignerInformation signer) {
    return store.getMatches(signer.getSID());
  }

  private static CMSSignedData parse(byte[] content, byte[] signature) throws RefusalException {
    try {
      CMSSignedData alone = new CMSSignedData(signature);
      if (alone.getSignedContent() != null) {
        throw invalid("the signature encapsulates content; NEGuard signatures are detached");
      }
      CMSSignedData signed = new CMSSignedData(new CMSProcessableByteArray(content), signature);
      // Bouncy Castle decodes these lazily: force it here, where a broken structure is caught.
      signed.getSignerInfos().getSigners();
      signed.getCertificates().getMatches(null);
      return signed;
    } catch (CMSException | RuntimeException e) {
      throw new RefusalException(
          ReasonCode.SIGNATURE_INVALID,
          "the signature is not a readable CMS SignedData structure; the package was damaged or"
              + " altered",
          e);
    }
  }

  private static void checkSignature(
      SignerInformation signer, X509CertificateHolder holder, X509Certificate leaf)
      throws RefusalException {
    boolean ok;
    try {
      ok =
          signer.verify(
              new JcaSimpleSignerInfoVerifierBuilder().build(holder));
    } catch (CMSSignerDigestMismatchException e) {
      throw invalid(
          "the manifest does not match its signature: it was changed after signing, or the"
              + " signature belongs to another package");
    } catch (CMSVerifierCertificateNotValidException e) {
      throw RefusalException.about(
          ReasonCode.CERT_VALIDITY,
          Certificates.subject(leaf),
          "certificate '" + Certificates.subject(leaf) + "' was not valid at the signing time "
              + "(valid " + leaf.getNotBefore().toInstant() + " to "
              + leaf.getNotAfter().toInstant() + ")");
    } catch (CMSException | OperatorCreationException | CertificateException
        | RuntimeException e) {
      throw new RefusalException(
          ReasonCode.SIGNATURE_INVALID,
          "the signature cannot be checked (unsupported or damaged algorithm parameters)", e);
    }
    if (!ok) {
      throw invalid("the signature value does not verify with the signer's certificate");
    }
  }

  private static Instant signingTime(SignerInformation signer) throws RefusalException {
    Attribute attribute;
    try {
      // Decoded lazily by Bouncy Castle: a damaged attribute set fails here.
      AttributeTable attributes = signer.getSignedAttributes();
      attribute = attributes == null ? null : attributes.get(CMSAttributes.signingTime);
    } catch (RuntimeException e) {
      throw invalid("the signature's signed attributes are malformed");
    }
    if (attribute == null || attribute.getAttrValues().size() != 1) {
      throw invalid("the signature has no signing-time attribute");
    }
    try {
      ASN1Encodable value = attribute.getAttrValues().getObjectAt(0);
      return Time.getInstance(value).getDate().toInstant();
    } catch (RuntimeException e) {
      throw invalid("the signing-time attribute is malformed");
    }
  }

  private record Path(List<X509Certificate> certs, X509Certificate anchor) {}

  /** Walks from the signer up through embedded certificates until a trust anchor issued one. */
  private Path buildPath(X509Certificate leaf, List<X509Certificate> embedded)
      throws RefusalException {
    List<X509Certificate> path = new ArrayList<>();
    path.add(leaf);
    X509Certificate current = leaf;
    for (int depth = 0; depth < MAX_PATH; depth++) {
      for (X509Certificate anchor : trust.anchors()) {
        if (issued(anchor, current)) {
          return new Path(path, anchor);
        }
      }
      X509Certificate next = null;
      for (X509Certificate candidate : embedded) {
        if (!path.contains(candidate) && issued(candidate, current)) {
          next = candidate;
          break;
        }
      }
      if (next == null) {
        boolean selfSigned =
            current.getSubjectX500Principal().equals(current.getIssuerX500Principal());
        throw RefusalException.about(
            ReasonCode.CERT_UNTRUSTED,
            Certificates.subject(current),
            selfSigned
                ? "certificate '" + Certificates.subject(current) + "' is self-signed and not"
                    + " one of the trust anchors; give the vendor's CA with --trust"
                : "certificate '" + Certificates.subject(leaf) + "' does not chain to a trust"
                    + " anchor (no issuer found for '" + Certificates.subject(current)
                    + "'); check --trust, or embed the intermediates with --chain when signing");
      }
      path.add(next);
      current = next;
    }
    throw new RefusalException(
        ReasonCode.CERT_UNTRUSTED, "the certificate chain is longer than " + MAX_PATH);
  }

  /** The allow-list over the whole path; the anchor's self-signature is not evidence of anything. */
  private void checkAlgorithms(Path path) throws RefusalException {
    for (int i = 0; i < path.certs().size(); i++) {
      AllowedAlgorithms.checkCertificate(
          path.certs().get(i), i == 0 ? "signer certificate" : "intermediate CA");
    }
    AllowedAlgorithms.checkAnchor(path.anchor());
    Set<javax.security.auth.x500.X500Principal> issuers = new HashSet<>();
    path.certs().forEach(c -> issuers.add(c.getIssuerX500Principal()));
    for (java.security.cert.X509CRL crl : trust.crls()) {
      if (issuers.contains(crl.getIssuerX500Principal())) {
        AllowedAlgorithms.checkCrl(crl);
      }
    }
  }

  private void checkVendor(X509Certificate anchor, String vendor) throws RefusalException {
    if (!trust.speaksFor(anchor, vendor)) {
      String subject = Certificates.subject(anchor);
      throw RefusalException.about(
          ReasonCode.VENDOR_MISMATCH,
          subject,
          "the package names vendor '" + vendor + "', but its signer chains to trust anchor '"
              + subject + "', which speaks for " + trust.describeBinding(anchor)
              + "; if that CA really signs for '" + vendor + "', bind it with --trust '"
              + vendor + "=CA.pem'");
    }
  }

  private static void checkAnchorValidity(X509Certificate anchor, Instant at)
      throws RefusalException {
    if (at.isBefore(anchor.getNotBefore().toInstant())
        || at.isAfter(anchor.getNotAfter().toInstant())) {
      String subject = Certificates.subject(anchor);
      throw RefusalException.about(
          ReasonCode.CERT_VALIDITY,
          subject,
          "trust anchor '" + subject + "' is not valid at " + at + " (valid "
              + anchor.getNotBefore().toInstant() + " to " + anchor.getNotAfter().toInstant()
              + "); renew the trust configuration");
    }
  }

  private static boolean issued(X509Certificate issuer, X509Certificate subject) {
    if (!issuer.getSubjectX500Principal().equals(subject.getIssuerX500Principal())) {
      return false;
    }
    try {
      subject.verify(issuer.getPublicKey());
      return true;
    } catch (GeneralSecurityException | RuntimeException e) {
      return false;
    }
  }

  private void validate(Path path, Instant at, boolean checkRevocation) throws RefusalException {
    CertPath certPath;
    try {
      certPath = Certificates.factory().generateCertPath(path.certs());
      CertPathValidator validator = CertPathValidator.getInstance("PKIX");
      Set<TrustAnchor> anchors = new HashSet<>();
      anchors.add(new TrustAnchor(path.anchor(), null));
      PKIXParameters params = new PKIXParameters(anchors);
      params.setDate(Date.from(at));
      params.setRevocationEnabled(false);
      if (checkRevocation) {
        params.addCertStore(
            CertStore.getInstance("Collection", new CollectionCertStoreParameters(trust.crls())));
        PKIXRevocationChecker checker =
            (PKIXRevocationChecker) validator.getRevocationChecker();
        checker.setOptions(
            EnumSet.of(
                PKIXRevocationChecker.Option.PREFER_CRLS,
                PKIXRevocationChecker.Option.NO_FALLBACK));
        params.addCertPathChecker(checker);
      }
      validator.validate(certPath, params);
    } catch (CertPathValidatorException e) {
      throw mapValidation(e, path, at);
    } catch (GeneralSecurityException e) {
      throw new RefusalException(
          ReasonCode.CERT_UNTRUSTED,
          "the certificate path cannot be validated (unsupported algorithm or damaged"
              + " certificate)",
          e);
    }
  }

  private static RefusalException mapValidation(
      CertPathValidatorException e, Path path, Instant at) {
    int index = e.getIndex();
    X509Certificate cert =
        index >= 0 && index < path.certs().size() ? path.certs().get(index) : path.certs().get(0);
    String subject = Certificates.subject(cert);
    CertPathValidatorException.Reason reason = e.getReason();
    if (reason == CertPathValidatorException.BasicReason.EXPIRED
        || reason == CertPathValidatorException.BasicReason.NOT_YET_VALID) {
      return RefusalException.about(
          ReasonCode.CERT_VALIDITY,
          subject,
          "certificate '" + subject + "' is not valid at " + at + " (valid "
              + cert.getNotBefore().toInstant() + " to " + cert.getNotAfter().toInstant()
              + "); the package must be re-signed with a current certificate");
    }
    if (reason == CertPathValidatorException.BasicReason.REVOKED) {
      return RefusalException.about(
          ReasonCode.CERT_REVOKED,
          subject,
          "certificate '" + subject + "' is revoked (" + e.getMessage()
              + "); do not install this package");
    }
    if (reason == CertPathValidatorException.BasicReason.UNDETERMINED_REVOCATION_STATUS) {
      return RefusalException.about(
          ReasonCode.CRL_INVALID,
          subject,
          "no current, correctly signed CRL covers certificate '" + subject
              + "'; give its issuer's latest CRL with --crl");
    }
    if (reason == PKIXReason.INVALID_KEY_USAGE) {
      return RefusalException.about(
          ReasonCode.KEY_USAGE, subject, "certificate '" + subject + "': " + e.getMessage());
    }
    return RefusalException.about(
        ReasonCode.CERT_UNTRUSTED,
        subject,
        "certificate path rejected at '" + subject + "': " + e.getMessage());
  }

  private static void checkKeyUsage(X509Certificate leaf) throws RefusalException {
    String subject = Certificates.subject(leaf);
    if (!Certificates.isForCodeSigning(leaf)) {
      throw RefusalException.about(
          ReasonCode.KEY_USAGE,
          subject,
          "certificate '" + subject + "' is not for code signing (no codeSigning extended key"
              + " usage); the vendor must sign with a code-signing certificate");
    }
    boolean[] keyUsage = leaf.getKeyUsage();
    if (keyUsage != null && (keyUsage.length == 0 || !keyUsage[0])) {
      throw RefusalException.about(
          ReasonCode.KEY_USAGE,
          subject,
          "certificate '" + subject + "' has a key usage without digitalSignature");
    }
  }

  private static X509Certificate convert(X509CertificateHolder holder) throws RefusalException {
    try {
      return new JcaX509CertificateConverter().getCertificate(holder);
    } catch (CertificateException | RuntimeException e) {
      String subject = subject(holder);
      // A key outside the allow-list is the likelier reason the JDK cannot load it.
      AllowedAlgorithms.checkKey(holder.getSubjectPublicKeyInfo(), subject,
          "embedded certificate '" + subject + "'");
      throw invalid("an embedded certificate cannot be decoded (damaged, or an unsupported key)");
    }
  }

  /** RFC 2253, as {@link Certificates#subject} writes it, for a certificate not yet converted. */
  private static String subject(X509CertificateHolder holder) throws RefusalException {
    try {
      return new javax.security.auth.x500.X500Principal(holder.getSubject().getEncoded())
          .getName();
    } catch (java.io.IOException | RuntimeException e) {
      throw invalid("an embedded certificate's subject name cannot be read");
    }
  }

  private static RefusalException invalid(String message) {
    return new RefusalException(ReasonCode.SIGNATURE_INVALID, message);
  }
}

package org.neguard.attest;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.neguard.measure.PlatformTim;
import org.neguard.measure.TreeDigest;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The validation entity's first look at evidence: is it this device's, for this nonce, and
 * consistent with itself (docs/MEASUREMENT.md, "Evidence"). In this order, each step before the
 * work the next costs: the length; the protected header's length, then the header, read
 * strictly; the device key's
 * signature; the payload, read once, strictly; the device; the nonce; every component's digest
 * against its files; the TIM against the components; on a TPM device, the quote against the
 * attestation key, the nonce and the TIM. Whether the components are the <em>expected</em> ones
 * (the references) is the caller's next question.
 *
 * <p>Stateless and thread-safe.
 */
public final class EvidenceVerifier {
  /** Evidence longer than this (characters of the JWS) is refused unread. */
  public static final int MAX_LENGTH = 32 << 20;
  /**
   * A protected header longer than this (characters of its base64url) is refused undecoded,
   * before the signature: the signer's header, {@code {"alg":"ES256",
   * "typ":"neguard-evidence+jws"}}, is 59 characters, and only alg and typ are read, so 1 KiB leaves room for
   * another JOSE library's whitespace while an unsigned header cannot make the reading's work
   * grow with the 16 MiB body (review H2).
   */
  public static final int MAX_HEADER_LENGTH = 1024;

  private EvidenceVerifier() {}

  /**
   * Which code checks ES256 evidence signatures in this JVM: AWS-LC (with its version) where
   * its native code loaded and passed its self test, else Bouncy Castle. For the server's log
   * (at its first evidence): a node that fell back says so.
   */
  public static String es256Implementation() {
    return Es256.describe();
  }

  /**
   * Verifies {@code jws}.
   *
   * @param deviceKey the public key of the device's enrollment certificate
   * @param deviceId the device the caller authenticated
   * @param nonce the nonce the caller sent for this evidence
   * @param tpm the device's TPM binding, when it attests with a TPM: its evidence must then
   *     carry a quote by that key, of that PCR
   * @throws RefusalException SIZE_LIMIT; MALFORMED; ALGORITHM_NOT_ALLOWED; SIGNATURE_INVALID
   *     (not this device's key, or the quote not its AK's); FORMAT_VERSION; DEVICE_MISMATCH;
   *     NONCE_MISMATCH (replayed); MEASUREMENT_MISMATCH (a component's digest not that of its
   *     files, the TIM not that of the components, the quote of another PCR than the bound one,
   *     the quoted PCR not the TIM); UNSIGNED (a TPM
   *     device's evidence without a quote)
   */
  public static Evidence verify(String jws, PublicKey deviceKey, String deviceId, byte[] nonce,
      Optional<TpmBinding> tpm) throws RefusalException {
    Objects.requireNonNull(jws, "jws");
    if (jws.length() > MAX_LENGTH) {
      throw new RefusalException(ReasonCode.SIZE_LIMIT, "evidence of " + jws.length()
          + " characters: at most " + MAX_LENGTH);
    }
    // The JWS once as bytes (a character outside Latin-1 becomes '?', outside the alphabet),
    // the signing input a prefix of them (RFC 7515 section 5.2: the two encoded parts as they
    // came): no String per part, no second copy.
    int dot1 = jws.indexOf('.');
    int dot2 = dot1 < 0 ? -1 : jws.indexOf('.', dot1 + 1);
    if (dot2 < 0 || jws.indexOf('.', dot2 + 1) >= 0) {
      throw EvidenceCodec.malformed("not a JWS in compact serialization");
    }
    if (dot1 > MAX_HEADER_LENGTH) {
      throw new RefusalException(ReasonCode.SIZE_LIMIT, "a protected header of " + dot1
          + " characters: at most " + MAX_HEADER_LENGTH + "; sign with a header of alg and typ"
          + " only");
    }
    byte[] bytes = jws.getBytes(StandardCharsets.ISO_8859_1);
    // One reading only: a character outside the alphabet (which a lenient decoder would skip)
    // or padding is refused: the JDK's URL decoder refuses every character outside its
    // alphabet but padding, which is refused first. A part that does not decode is refused in
    // the order the parts were always checked: the alphabet of all three, the header's length,
    // the header, then the length of the other two.
    byte[] header = jws.indexOf('=') < 0 ? decode(bytes, 0, dot1) : null;
    byte[] payload = header == null ? null : decode(bytes, dot1 + 1, dot2);
    byte[] signature = payload == null ? null : decode(bytes, dot2 + 1, bytes.length);
    boolean undecoded = signature == null;
    if (undecoded && !(isBase64Url(bytes, 0, dot1) && isBase64Url(bytes, dot1 + 1, dot2)
        && isBase64Url(bytes, dot2 + 1, bytes.length))) {
      throw EvidenceCodec.malformed("a part is not unpadded base64url");
    }
    if (header == null) {
      header = decode(bytes, 0, dot1);
      if (header == null) {
        throw EvidenceCodec.malformed("its header is not base64url");
      }
    }
    String alg = checkHeader(header);
    if (undecoded) { // the payload's or the signature's length (4k+1)
      throw EvidenceCodec.malformed("a part is not unpadded base64url");
    }
    if (!signatureValid(deviceKey, alg, bytes, dot2, signature)) {
      throw new RefusalException(ReasonCode.SIGNATURE_INVALID, "the evidence is not signed by"
          + " device " + deviceId + "'s key: altered, or another device's");
    }
    Evidence e = EvidenceCodec.decode(payload);
    if (!e.deviceId().equals(deviceId)) {
      throw RefusalException.about(ReasonCode.DEVICE_MISMATCH, e.deviceId(), "the evidence"
          + " names device " + EvidenceCodec.shown(e.deviceId()) + ", it came from "
          + deviceId);
    }
    if (!MessageDigest.isEqual(e.nonce().getBytes(StandardCharsets.US_ASCII),
        HexFormat.of().formatHex(nonce).getBytes(StandardCharsets.US_ASCII))) {
      throw new RefusalException(ReasonCode.NONCE_MISMATCH, "the evidence answers nonce "
          + e.nonce() + ", not the one sent: replayed or stale evidence is refused; ask again");
    }
    for (Evidence.Component c : e.components()) {
      if (!c.filesReported()) {
        // Its digest alone: the validation entity judges it against the digest it holds the
        // files of, and refuses it if it differs (Pve.judge); the TIM below covers it still.
        continue;
      }
      String computed;
      try {
        computed = TreeDigest.of(c.leaves());
      } catch (IllegalArgumentException dup) {
        throw EvidenceCodec.malformed("component " + c.name() + ": " + dup.getMessage());
      }
      if (!computed.equals(c.digest())) {
        throw RefusalException.about(ReasonCode.MEASUREMENT_MISMATCH, c.name(), "component "
            + c.name() + " reports digest " + c.digest() + " but its files' tree digest is "
            + computed);
      }
    }
    String tim;
    try {
      tim = PlatformTim.of(e.chain());
    } catch (IllegalArgumentException dup) {
      throw EvidenceCodec.malformed(dup.getMessage());
    }
    if (!tim.equals(e.tim())) {
      throw new RefusalException(ReasonCode.MEASUREMENT_MISMATCH, "the evidence's TIM "
          + e.tim() + " is not the chain of its components (" + tim + ")");
    }
    if (tpm.isPresent()) {
      Evidence.Quote q = e.quote().orElseThrow(() -> new RefusalException(ReasonCode.UNSIGNED,
          "device " + deviceId + " attests with a TPM and the evidence carries no quote:"
              + " software-key evidence is not accepted from it"));
      if (q.pcr() != tpm.get().pcr()) {
        throw new RefusalException(ReasonCode.MEASUREMENT_MISMATCH, "the evidence quotes PCR "
            + q.pcr() + "; device " + deviceId + " measures into PCR " + tpm.get().pcr());
      }
      checkQuote(q, tpm.get(), nonce, e.chain());
    } else if (e.quote().isPresent()) {
      throw new RefusalException(ReasonCode.CERT_UNTRUSTED, "the evidence carries a TPM quote"
          + " but device " + deviceId + " has no attestation key bound at enrollment");
    }
    return e;
  }

  /**
   * The quote of the bound PCR and the event log that replays to it (docs/MEASUREMENT.md,
   * "The event log"): the log read strictly, replayed from zero to the quoted value, of the
   * quoted TPM boot, and its latest event per component exactly the evidence's components.
   */
  private static void checkQuote(Evidence.Quote q, TpmBinding binding, byte[] nonce,
      List<PlatformTim.Component> components) throws RefusalException {
    EventLog log = EventLog.parse(q.eventLog());
    if (log.pcr() != binding.pcr()) {
      throw new RefusalException(ReasonCode.MEASUREMENT_MISMATCH, "the event log is of PCR "
          + log.pcr() + "; the device measures into PCR " + binding.pcr());
    }
    TpmQuote quote;
    try {
      // The verifier's PCR, not the evidence's: the quote must select exactly it.
      quote = TpmQuote.verify(q.attest(), q.signature(), binding.attestationKey(), nonce,
          Map.of(binding.pcr(), log.replay()));
    } catch (RefusalException r) {
      if (r.code() != ReasonCode.MEASUREMENT_MISMATCH) {
        throw r;
      }
      throw new RefusalException(ReasonCode.MEASUREMENT_MISMATCH, "the event log ("
          + log.events().size() + " events) does not replay to the quoted PCR "
          + binding.pcr() + ": an entry was changed, dropped, reordered or logged without"
          + " being extended, or the PCR was extended outside the log (" + r.getMessage()
          + ")");
    }
    if (Integer.toUnsignedLong(quote.resetCount()) != log.resetCount()
        || Integer.toUnsignedLong(quote.restartCount()) < log.restartCount()) {
      throw new RefusalException(ReasonCode.MEASUREMENT_MISMATCH, "the event log is of the"
          + " TPM boot resetCount " + log.resetCount() + "/restartCount " + log.restartCount()
          + ", the quote of resetCount " + Integer.toUnsignedLong(quote.resetCount())
          + "/restartCount " + Integer.toUnsignedLong(quote.restartCount())
          + ": a log of another boot");
    }
    List<PlatformTim.Component> latest = log.latest();
    List<PlatformTim.Component> reported = PlatformTim.sorted(components);
    if (!latest.equals(reported)) {
      throw new RefusalException(ReasonCode.MEASUREMENT_MISMATCH, "the evidence's components"
          + " are not the latest of its event log: " + firstDifference(latest, reported));
    }
  }

  private static String firstDifference(List<PlatformTim.Component> logged,
      List<PlatformTim.Component> reported) {
    for (PlatformTim.Component c : reported) {
      if (!logged.contains(c)) {
        return "component " + c.name() + " (" + c.digest() + ", " + c.reference()
            + ") is not the log's latest for that name";
      }
    }
    for (PlatformTim.Component c : logged) {
      if (!reported.contains(c)) {
        return "the log's component " + c.name() + " (" + c.digest() + ") is not reported";
      }
    }
    return "they differ";
  }

  private static String checkHeader(byte[] bytes) throws RefusalException {
    EvidenceCodec.Obj h = EvidenceCodec.read(bytes, "protected header", EvidenceCodec.HEADER);
    if (h.unknown != null) {
      throw EvidenceCodec.malformed("its header carries " + EvidenceCodec.shown(h.unknown)
          + "; only alg and typ");
    }
    if (!EvidenceSigner.TYPE.equals(h.values[EvidenceCodec.H_TYP])) {
      throw EvidenceCodec.malformed("its typ is not " + EvidenceSigner.TYPE);
    }
    String a = h.values[EvidenceCodec.H_ALG] instanceof String s ? s : null;
    if (!"RS256".equals(a) && !"ES256".equals(a)) {
      throw new RefusalException(ReasonCode.ALGORITHM_NOT_ALLOWED, "evidence signed with "
          + EvidenceCodec.shown(a) + ": RS256 or ES256 only");
    }
    return a;
  }

  /** Whether {@code signature} is the key's over {@code input[0, length)}. */
  private static boolean signatureValid(PublicKey key, String alg, byte[] input, int length,
      byte[] signature) throws RefusalException {
    if (key instanceof ECPublicKey ec && alg.equals("ES256")) {
      Es256.Key p;
      try {
        p = Es256.key(ec);
      } catch (IllegalArgumentException e) {
        throw new RefusalException(ReasonCode.ALGORITHM_NOT_ALLOWED, "the device key cannot"
            + " verify ES256: " + e.getMessage());
      }
      return Es256.verify(p, input, length, signature);
    }
    if (key instanceof RSAPublicKey rsa && alg.equals("RS256")) {
      try {
        Signature v = Signature.getInstance("SHA256withRSA");
        v.initVerify(rsa);
        v.update(input, 0, length);
        return v.verify(signature);
      } catch (InvalidKeyException e) {
        throw new RefusalException(ReasonCode.ALGORITHM_NOT_ALLOWED, "the device key cannot"
            + " verify RS256: " + e.getMessage());
      } catch (SignatureException e) {
        return false;
      } catch (NoSuchAlgorithmException e) {
        throw new AssertionError("every Java platform has SHA256withRSA", e);
      }
    }
    throw new RefusalException(ReasonCode.ALGORITHM_NOT_ALLOWED, "evidence signed with " + alg
        + " and the device key is " + key.getAlgorithm());
  }

  /**
   * The base64url part {@code src[from, to)} decoded by the JDK's URL decoder in place (no
   * String or copy of the part), or null if that decoder refuses it.
   */
  private static byte[] decode(byte[] src, int from, int to) {
    ByteBuffer out;
    try {
      out = Base64.getUrlDecoder().decode(ByteBuffer.wrap(src, from, to - from));
    } catch (IllegalArgumentException e) {
      return null;
    }
    byte[] array = out.array();
    return out.arrayOffset() == 0 && out.remaining() == array.length ? array
        : Arrays.copyOfRange(array, out.arrayOffset() + out.position(),
            out.arrayOffset() + out.limit());
  }

  /** Unpadded base64url: the alphabet only (a regex over 40 KiB cost more than the rest). */
  private static boolean isBase64Url(byte[] s, int from, int to) {
    for (int i = from; i < to; i++) {
      byte c = s[i];
      if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-'
          || c == '_')) {
        return false;
      }
    }
    return true;
  }
}

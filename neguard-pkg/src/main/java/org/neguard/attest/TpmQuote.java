package org.neguard.attest;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.BufferUnderflowException;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.neguard.measure.Sha256;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * A TPM 2.0 quote: the {@code TPMS_ATTEST} structure a TPM signs with an attestation key
 * (TPM 2.0 Library, Part 2, 10.12), of type {@code TPM_ST_ATTEST_QUOTE}.
 *
 * <p>{@link #parse} reads the structure strictly: every size bounded, no byte left over, one
 * reading only (the bytes that are verified are the bytes that are read). {@link #verify}
 * checks, in this order, the signature over exactly those bytes, the magic and type, the nonce
 * ({@code extraData}), and the PCR digest against the values the verifier expects, which it
 * computes itself (for example by {@link org.neguard.measure.PlatformTim#replay}), never from
 * the NE's word.
 *
 * @param qualifiedSigner the signing key's qualified name
 * @param extraData the nonce the verifier sent
 * @param clock the TPM's clock (ms), with resetCount, restartCount and safe: freshness hints
 * @param firmwareVersion the TPM's firmware version
 * @param pcrs the quoted PCRs: hash algorithm id (0x000B = SHA-256) to PCR indexes, ascending
 * @param pcrDigest the digest over the selected PCRs' values, in selection order
 */
public record TpmQuote(byte[] qualifiedSigner, byte[] extraData, long clock, int resetCount,
    int restartCount, boolean safe, long firmwareVersion, SortedMap<Integer, List<Integer>> pcrs,
    byte[] pcrDigest) {
  /** TPM_GENERATED_VALUE: the TPM signs only structures it made that start with this. */
  static final int MAGIC = 0xff544347;
  static final int ST_ATTEST_QUOTE = 0x8018;
  /** TPM_ALG_SHA256. */
  public static final int ALG_SHA256 = 0x000B;
  /** A quote is a few hundred bytes; anything much larger is not one. */
  public static final int MAX_BYTES = 2048;
  private static final int MAX_SELECTIONS = 16;

  /**
   * Reads a {@code TPMS_ATTEST} of type quote.
   *
   * @throws RefusalException MALFORMED: not a TPM-generated quote, a size out of bounds, or
   *     bytes left over
   */
  public static TpmQuote parse(byte[] attest) throws RefusalException {
    if (attest.length > MAX_BYTES) {
      throw new RefusalException(ReasonCode.SIZE_LIMIT, "a TPM quote of " + attest.length
          + " bytes: more than " + MAX_BYTES);
    }
    ByteBuffer b = ByteBuffer.wrap(attest); // TPM structures are big-endian, as ByteBuffer
    try {
      int magic = b.getInt();
      if (magic != MAGIC) {
        throw malformed("magic is 0x" + Integer.toHexString(magic) + ", not TPM_GENERATED"
            + " (0xff544347): not made by a TPM");
      }
      int type = Short.toUnsignedInt(b.getShort());
      if (type != ST_ATTEST_QUOTE) {
        throw malformed("type is 0x" + Integer.toHexString(type) + ", not a quote (0x8018)");
      }
      byte[] signer = TpmBytes.sized(b, 2 + 64, "qualifiedSigner", "TPM quote");
      byte[] extra = TpmBytes.sized(b, 64, "extraData", "TPM quote");
      long clock = b.getLong();
      int reset = b.getInt();
      int restart = b.getInt();
      int safe = Byte.toUnsignedInt(b.get());
      if (safe > 1) {
        throw malformed("clockInfo.safe is " + safe + ", not a TPMI_YES_NO");
      }
      long firmware = b.getLong();
      long count = Integer.toUnsignedLong(b.getInt());
      if (count > MAX_SELECTIONS) {
        throw malformed("a PCR selection of " + count + " banks");
      }
      SortedMap<Integer, List<Integer>> pcrs = new TreeMap<>();
      for (int i = 0; i < count; i++) {
        int alg = Short.toUnsignedInt(b.getShort());
        int sizeOfSelect = Byte.toUnsignedInt(b.get());
        if (sizeOfSelect < 3 || sizeOfSelect > 4) {
          throw malformed("sizeofSelect " + sizeOfSelect + " (3 or 4 for 24 or 32 PCRs)");
        }
        List<Integer> indexes = new ArrayList<>();
        for (int octet = 0; octet < sizeOfSelect; octet++) {
          int bits = Byte.toUnsignedInt(b.get());
          for (int bit = 0; bit < 8; bit++) {
            if ((bits & (1 << bit)) != 0) {
              indexes.add(octet * 8 + bit);
            }
          }
        }
        if (pcrs.put(alg, List.copyOf(indexes)) != null) {
          throw malformed("bank 0x" + Integer.toHexString(alg) + " selected twice");
        }
      }
      byte[] digest = TpmBytes.sized(b, 64, "pcrDigest", "TPM quote");
      if (b.hasRemaining()) {
        throw malformed(b.remaining() + " bytes after the quote");
      }
      return new TpmQuote(signer, extra, clock, reset, restart, safe == 1, firmware,
          java.util.Collections.unmodifiableSortedMap(pcrs), digest);
    } catch (BufferUnderflowException e) {
      throw malformed("the quote ends early (" + attest.length + " bytes)");
    }
  }

  /**
   * Verifies a quote: {@code signature} by {@code attestationKey} over exactly {@code attest},
   * the nonce, and the SHA-256 PCRs against {@code expectedPcrs}.
   *
   * @param signature ECDSA (DER) with SHA-256 for an EC key, RSASSA-PKCS1-v1_5 with SHA-256 for
   *     an RSA key ({@code tpm2_quote -f plain})
   * @param expectedPcrs the SHA-256 PCR values the verifier computed, by index; the quote must
   *     select exactly these PCRs of the SHA-256 bank and nothing else
   * @return the parsed quote
   * @throws RefusalException SIGNATURE_INVALID (not this key's signature), MALFORMED,
   *     NONCE_MISMATCH (not the nonce sent: a replay), MEASUREMENT_MISMATCH (other PCRs
   *     selected, or their values are not the expected ones)
   */
  public static TpmQuote verify(byte[] attest, byte[] signature, PublicKey attestationKey,
      byte[] nonce, Map<Integer, byte[]> expectedPcrs) throws RefusalException {
    if (attest.length > MAX_BYTES) {
      throw new RefusalException(ReasonCode.SIZE_LIMIT, "a TPM quote of " + attest.length
          + " bytes: more than " + MAX_BYTES);
    }
    String alg = switch (attestationKey.getAlgorithm()) {
      case "EC" -> "SHA256withECDSA";
      case "RSA" -> "SHA256withRSA";
      default -> throw new RefusalException(ReasonCode.ALGORITHM_NOT_ALLOWED,
          "attestation key algorithm " + attestationKey.getAlgorithm() + ": EC or RSA only");
    };
    try {
      Signature s = Signature.getInstance(alg);
      s.initVerify(attestationKey);
      s.update(attest);
      if (!s.verify(signature)) {
        throw new RefusalException(ReasonCode.SIGNATURE_INVALID,
            "the quote is not signed by this device's attestation key");
      }
    } catch (java.security.SignatureException e) {
      throw new RefusalException(ReasonCode.SIGNATURE_INVALID,
          "the quote's signature is not a valid " + alg + " signature: " + e.getMessage());
    } catch (GeneralSecurityException e) {
      throw new RefusalException(ReasonCode.SIGNATURE_INVALID,
          "cannot check the quote's signature: " + e.getMessage());
    }
    TpmQuote q = parse(attest);
    if (!MessageDigest.isEqual(q.extraData(), nonce)) {
      throw new RefusalException(ReasonCode.NONCE_MISMATCH, "the quote is over nonce "
          + HexFormat.of().formatHex(q.extraData()) + ", not the one sent: replayed evidence"
          + " is refused; ask for a fresh quote");
    }
    List<Integer> want = new ArrayList<>(new TreeMap<>(expectedPcrs).keySet());
    if (!q.pcrs().keySet().equals(java.util.Set.of(ALG_SHA256))
        || !q.pcrs().get(ALG_SHA256).equals(want)) {
      throw new RefusalException(ReasonCode.MEASUREMENT_MISMATCH, "the quote selects PCRs "
          + describe(q.pcrs()) + ", the verifier asked for sha256:" + want);
    }
    ByteArrayOutputStream concat = new ByteArrayOutputStream();
    for (int i : want) {
      byte[] v = expectedPcrs.get(i);
      if (v.length != 32) {
        throw new IllegalArgumentException("expected PCR " + i + " is not 32 bytes");
      }
      concat.writeBytes(v);
    }
    byte[] expected = Sha256.newDigest().digest(concat.toByteArray());
    if (!MessageDigest.isEqual(expected, q.pcrDigest())) {
      throw new RefusalException(ReasonCode.MEASUREMENT_MISMATCH, "the quoted PCR digest "
          + HexFormat.of().formatHex(q.pcrDigest()) + " is not that of the expected values ("
          + HexFormat.of().formatHex(expected) + "): the measurements the TPM holds are not"
          + " the ones reported");
    }
    return q;
  }

  private static String describe(Map<Integer, List<Integer>> pcrs) {
    StringBuilder s = new StringBuilder();
    pcrs.forEach((alg, idx) -> s.append(s.length() == 0 ? "" : "+").append("0x")
        .append(Integer.toHexString(alg)).append(':').append(idx));
    return s.length() == 0 ? "none" : s.toString();
  }

  private static RefusalException malformed(String message) {
    return new RefusalException(ReasonCode.MALFORMED, "not a TPM quote: " + message);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TpmQuote q && Arrays.equals(qualifiedSigner, q.qualifiedSigner)
        && Arrays.equals(extraData, q.extraData) && clock == q.clock
        && resetCount == q.resetCount && restartCount == q.restartCount && safe == q.safe
        && firmwareVersion == q.firmwareVersion && pcrs.equals(q.pcrs)
        && Arrays.equals(pcrDigest, q.pcrDigest);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(pcrDigest) * 31 + Arrays.hashCode(extraData);
  }

  @Override
  public String toString() {
    return "TpmQuote[nonce=" + HexFormat.of().formatHex(extraData) + ", pcrs=" + describe(pcrs)
        + ", pcrDigest=" + HexFormat.of().formatHex(pcrDigest) + ", clock=" + clock
        + ", resetCount=" + resetCount + ", restartCount=" + restartCount + "]";
  }
}

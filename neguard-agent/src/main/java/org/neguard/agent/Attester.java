package org.neguard.agent;

import java.io.IOException;
import java.security.PrivateKey;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiPredicate;
import java.util.stream.Collectors;
import org.neguard.attest.Evidence;
import org.neguard.attest.EvidenceSigner;
import org.neguard.attest.Expectation;
import org.neguard.measure.PlatformTim;
import org.neguard.measure.TreeDigest;
import org.neguard.order.OrderAttestation;
import org.neguard.pkg.Manifest;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The agent's side of platform attestation (docs/AGENT.md, "Attestation"): evidence over a
 * validation entity's nonce, signed by the device key (and quoted by the TPM when the NE has
 * one), and the ATT-3 checks around an update whose order carries an attestation. The checks
 * are static, on values, so they are unit-tested on real trees without a server.
 */
final class Attester {
  private final String deviceId;
  private final Quoter quoter;

  /**
   * @param quoter the TPM seam, or null: the evidence then rests on the device key alone
   */
  Attester(String deviceId, Quoter quoter) {
    this.deviceId = Objects.requireNonNull(deviceId, "deviceId");
    this.quoter = quoter;
  }

  /** Whether this NE's evidence carries a TPM quote. */
  boolean quotes() {
    return quoter != null;
  }

  /**
   * The signed evidence of {@code measured} over {@code nonceHex}: built with {@link
   * Evidence#of}, its chain quoted when there is a TPM, signed with {@code key} (the key of the
   * device certificate, read at each signing: a renewal changes it).
   *
   * @throws RefusalException BAD_INPUT for a nonce that is not 16 to 64 bytes of hex; the TPM's
   *     refusal
   * @throws IOException when the TPM cannot be reached
   */
  String sign(Measurements.Result measured, String nonceHex, PrivateKey key, Instant now)
      throws IOException, RefusalException {
    return sign(measured, nonceHex, (name, digest) -> false, key, now);
  }

  /**
   * As {@link #sign(Measurements.Result, String, PrivateKey, Instant)}, each component measured
   * (name, measured digest) {@code known} accepts (AttestationChallenge.isKnown) reported
   * without its files (the validation entity holds them; docs/MEASUREMENT.md, "Evidence").
   */
  String sign(Measurements.Result measured, String nonceHex,
      BiPredicate<String, String> known, PrivateKey key, Instant now)
      throws IOException, RefusalException {
    byte[] nonce;
    try {
      nonce = HexFormat.of().parseHex(nonceHex);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new RefusalException(ReasonCode.BAD_INPUT, "the nonce " + nonceHex
          + " is not hex; nothing was signed");
    }
    if (nonce.length < 16 || nonce.length > 64 || !nonceHex.equals(HexFormat.of()
        .formatHex(nonce))) {
      throw new RefusalException(ReasonCode.BAD_INPUT, "the nonce " + nonceHex + " is not 16"
          + " to 64 bytes of lower-case hex; nothing was signed");
    }
    List<Evidence.Component> components = Evidence.withoutFilesWhere(measured.evidence(),
        known);
    Optional<Evidence.Quote> quote = Optional.empty();
    if (quoter != null) {
      // The chain as the TIM is computed: the same order the verifier replays the PCR in.
      List<PlatformTim.Component> chain = PlatformTim.sorted(Evidence.of(deviceId, nonce, now,
          components, Optional.empty()).chain());
      quote = Optional.of(quoter.quote(nonce, chain));
    }
    return EvidenceSigner.of(key).sign(Evidence.of(deviceId, nonce, now, components, quote));
  }

  // --- ATT-3: an update whose order carries an attestation -------------------------------------

  /**
   * ATT-3 (a): the bundle's signed manifest must carry the RIM the validation entity expects
   * after this update; otherwise the expected TIM would never be met, and nothing is installed.
   */
  static void checkRim(Manifest m, OrderAttestation attestation) throws RefusalException {
    if (attestation == null) {
      return;
    }
    String rim = m.rim() == null ? null : m.rim().digest();
    if (!attestation.rim().equals(rim)) {
      throw RefusalException.about(ReasonCode.MEASUREMENT_MISMATCH, m.name(), "the order"
          + " expects package " + m.name() + " " + m.version() + " with RIM "
          + attestation.rim() + ", the bundle's signed manifest carries RIM " + rim
          + "; nothing was installed: the order and the bundle do not name the same package"
          + " contents (check the repository's bundle and deploy again)");
    }
  }

  /** The signed manifest's files as RIM leaves (what the package's tree digest is over). */
  static List<TreeDigest.Leaf> rimLeaves(Manifest m) {
    return m.files().stream().map(f -> new TreeDigest.Leaf(f.path(), f.sha256(), f.modeBits()))
        .toList();
  }

  /**
   * ATT-3 (c): what this NE must measure after installing {@code m}: the measurement before the
   * install with the package's component replaced by the manifest's signed RIM, computed the
   * way the validation entity computes it (ATT-2) so both expect the same TIM.
   *
   * @throws RefusalException MEASUREMENT_MISMATCH when the manifest's RIM is not its files'
   */
  static Expectation expected(Measurements.Result before, Manifest m) throws RefusalException {
    return Expectation.of(before.evidence()).afterUpdate(m.name(), m.rim().digest(),
        rimLeaves(m));
  }

  /**
   * ATT-3 (c): how {@code after} differs from what installing {@code m} over {@code before}
   * should have produced; empty when it is exactly that.
   */
  static List<Expectation.Difference> differences(Measurements.Result before, Manifest m,
      Measurements.Result after) throws RefusalException {
    return expected(before, m).compare(after.evidence());
  }

  /** The differences for a message: component, what, and the files. */
  static String describe(List<Expectation.Difference> differences) {
    return differences.stream().map(d -> d.component() + " " + d.kind() + (d.files().isEmpty()
        ? "" : " (" + String.join(", ", d.files().size() > 20 ? d.files().subList(0, 20)
            : d.files()) + (d.files().size() > 20 ? ", and " + (d.files().size() - 20)
                + " more" : "") + ")")).collect(Collectors.joining("; "));
  }
}

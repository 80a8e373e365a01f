package org.neguard.api.device;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * The validation entity asks the device for evidence (docs/ATTESTATION.md): measure now, sign the
 * measurement over {@code nonce}, post it to {@code /api/device/v1/evidence}.
 *
 * @param nonce 16 to 64 bytes as lower-case hex; valid once, until {@code expiresAt}
 * @param reason why: {@code FIRST_CONTACT}, {@code SCHEDULED}, {@code REQUESTED} (an operator),
 *     {@code BEFORE_UPDATE} (ATT-1) or {@code READMISSION}
 * @param expiresAt ISO-8601 UTC; evidence over the nonce after this is refused
 * @param known the components whose files the validation entity holds, each by a commitment to
 *     the digest it expects (a package's signed RIM, a platform component's approved baseline):
 *     a component whose measured digest {@link #isKnown matches} may be reported without its
 *     files (docs/MEASUREMENT.md, "Evidence"); null or empty: every component with its files
 */
public record AttestationChallenge(String nonce, String reason, String expiresAt,
    List<KnownComponent> known) {
  public AttestationChallenge {
    // A hint only: an entry the device cannot use is dropped, never a reason to refuse the poll.
    known = known == null ? null : known.stream().filter(Objects::nonNull).toList();
  }

  /** A challenge that names no known component: every component is reported with its files. */
  public AttestationChallenge(String nonce, String reason, String expiresAt) {
    this(nonce, reason, expiresAt, null);
  }

  /**
   * Whether component {@code name}, measured at {@code digest}, is one the validation entity
   * holds the files of: {@link #known} has an entry of that name committing to that digest
   * under this challenge's nonce. Only an exact match: a changed component goes with its files.
   */
  public boolean isKnown(String name, String digest) {
    if (known == null || known.isEmpty() || nonce == null) {
      return false;
    }
    byte[] mine = commitment(nonce, name, digest).getBytes(StandardCharsets.US_ASCII);
    for (KnownComponent k : known) {
      if (name.equals(k.name()) && k.commitment() != null
          && MessageDigest.isEqual(mine, k.commitment().getBytes(StandardCharsets.US_ASCII))) {
        return true;
      }
    }
    return false;
  }

  /**
   * The commitment to {@code digest} of component {@code name} under {@code nonce}: SHA-256 of
   * the UTF-8 bytes of {@code nonce + "\n" + name + "\n" + digest}, lower-case hex. The device
   * learns from it only whether a digest it measured is the expected one, not the expected
   * digest itself (an NE whose files were already changed cannot read its approved baseline off
   * the challenge); a fresh nonce makes each challenge's commitments new.
   */
  public static String commitment(String nonce, String name, String digest) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(
          (nonce + "\n" + name + "\n" + digest).getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  /**
   * A component the validation entity holds the files of.
   *
   * @param name the component's name, as the evidence names it
   * @param commitment {@link #commitment} to its expected tree digest under the nonce
   */
  public record KnownComponent(String name, String commitment) {
    /**
     * The entry of component {@code name} at {@code digest}, for the challenge of {@code nonce}.
     */
    public static KnownComponent of(String nonce, String name, String digest) {
      return new KnownComponent(name, AttestationChallenge.commitment(nonce, name, digest));
    }
  }
}

package org.neguard.attest;

import java.security.PublicKey;
import java.util.Objects;

/**
 * What the validation entity bound to a device at enrollment: its TPM attestation key and the
 * PCR its measurements are extended into. The PCR is the verifier's choice, never the
 * evidence's: a device that could name the PCR could pick one it is able to reset.
 *
 * @param attestationKey the AK's public key ({@link TpmPublic#attestationKey})
 * @param pcr the SHA-256 PCR, 0..23
 */
public record TpmBinding(PublicKey attestationKey, int pcr) {
  public TpmBinding {
    Objects.requireNonNull(attestationKey, "attestationKey");
    if (pcr < 0 || pcr > 23) {
      throw new IllegalArgumentException("pcr not in 0..23: " + pcr);
    }
  }
}

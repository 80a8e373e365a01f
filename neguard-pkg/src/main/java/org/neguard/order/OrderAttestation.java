package org.neguard.order;

import java.util.regex.Pattern;

/**
 * What an order carries for the platform validation around it (ATT-3, ATT-4; docs/ATTESTATION.md):
 * the validation entity's nonce for the evidence the agent reports on completion, and the RIM of
 * the package (the tree digest of its signed manifest, docs/MEASUREMENT.md), which the agent
 * checks against the bundle's own signed manifest before it installs anything.
 *
 * @param nonce the nonce the completion evidence must be signed over, 32 to 128 lower-case hex
 *     digits (16 to 64 bytes); issued for this order only
 * @param rim the package's {@code sha256-tree-v1} digest, 64 lower-case hex digits
 */
public record OrderAttestation(String nonce, String rim) {
  private static final Pattern NONCE = Pattern.compile("([0-9a-f]{2}){16,64}");
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  public OrderAttestation {
    if (nonce == null || !NONCE.matcher(nonce).matches()) {
      throw new IllegalArgumentException(
          "attestation.nonce is not 16 to 64 bytes of lower-case hex: " + nonce);
    }
    if (rim == null || !SHA256.matcher(rim).matches()) {
      throw new IllegalArgumentException(
          "attestation.rim is not 64 lower-case hex digits: " + rim);
    }
  }
}

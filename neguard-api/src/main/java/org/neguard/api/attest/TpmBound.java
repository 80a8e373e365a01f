package org.neguard.api.attest;

/**
 * The answer to a successful {@link TpmActivation}: the device's attestation key is bound, and
 * from now on its evidence must carry a quote by that key of the PCR named here.
 *
 * @param deviceId the device
 * @param pcr the SHA-256 PCR the device extends its measurements into (the verifier's choice)
 * @param akName the attestation key's TPM name (nameAlg SHA-256 and the digest of its public
 *     area), hex
 * @param ekPublicSha256 SHA-256 of the endorsement key's {@code TPM2B_PUBLIC}, hex
 * @param boundAt when it was bound, ISO-8601 UTC
 * @param ekTrust {@code CERTIFIED}: the EK's certificate chains to a manufacturer CA the server
 *     trusts; {@code UNVERIFIED}: no EK trust anchor is configured, the EK is the device's word
 */
public record TpmBound(String deviceId, int pcr, String akName, String ekPublicSha256,
    String boundAt, String ekTrust) {
  /** An answer that does not say how the EK was trusted (UNVERIFIED). */
  public TpmBound(String deviceId, int pcr, String akName, String ekPublicSha256,
      String boundAt) {
    this(deviceId, pcr, akName, ekPublicSha256, boundAt, "UNVERIFIED");
  }
}

package org.neguard.api.attest;

/**
 * {@code POST /api/device/v1/tpm/credential}: a device asks to bind its TPM attestation key
 * (docs/MEASUREMENT.md, "Binding the attestation key to the TPM").
 *
 * @param ekPublic the endorsement key's {@code TPM2B_PUBLIC} ({@code tpm2_createek -u}), base64
 * @param akPublic the attestation key's {@code TPM2B_PUBLIC} ({@code tpm2_createak -u}), base64
 * @param ekCertificate the EK's certificate (DER, base64) from the TPM's NV index 0x01c00002,
 *     or null when the TPM has none; checked against the server's EK trust anchors
 */
public record TpmCredentialRequest(String ekPublic, String akPublic, String ekCertificate) {
  /** A request without an EK certificate. */
  public TpmCredentialRequest(String ekPublic, String akPublic) {
    this(ekPublic, akPublic, null);
  }
}

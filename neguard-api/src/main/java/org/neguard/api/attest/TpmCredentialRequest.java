package org.neguard.api.attest;

/**
 * {@code POST /api/device/v1/tpm/credential}: a device asks to bind its TPM attestation key
 * (docs/MEASUREMENT.md, "Binding the attestation key to the TPM").
 *
 * @param ekPublic the endorsement key's {@code TPM2B_PUBLIC} ({@code tpm2_createek -u}), base64
 * @param akPublic the attestation key's {@code TPM2B_PUBLIC} ({@code tpm2_createak -u}), base64
 */
public record TpmCredentialRequest(String ekPublic, String akPublic) {}

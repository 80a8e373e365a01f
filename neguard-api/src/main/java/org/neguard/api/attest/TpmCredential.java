package org.neguard.api.attest;

/**
 * The answer to {@link TpmCredentialRequest}: a credential (TPM2_MakeCredential) around a fresh
 * secret, which only the TPM holding the endorsement key can open, and only for the attestation
 * key of the name it was made for.
 *
 * @param credential the credential in the file format {@code tpm2_activatecredential -i} reads,
 *     base64
 * @param expiresAt until when the secret may be returned ({@link TpmActivation}), ISO-8601 UTC
 */
public record TpmCredential(String credential, String expiresAt) {}

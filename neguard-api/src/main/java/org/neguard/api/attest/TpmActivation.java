package org.neguard.api.attest;

/**
 * {@code POST /api/device/v1/tpm/activate}: the secret the device's TPM recovered from the
 * {@link TpmCredential} ({@code tpm2_activatecredential -o}). One attempt per credential.
 *
 * @param secret the secret, base64
 */
public record TpmActivation(String secret) {}

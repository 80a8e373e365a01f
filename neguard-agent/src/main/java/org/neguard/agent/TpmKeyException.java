package org.neguard.agent;

import java.io.IOException;

/**
 * The TPM-held device key cannot be used (docs/AGENT.md, "A TPM-held device key"): the agent
 * logs {@code tpm_key_refused} with {@link #reason()} and never falls back to a file key.
 */
public final class TpmKeyException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Why, as the agent's event names it. */
  public enum Reason {
    /** No key blob for the device certificate's key in the identity directory. */
    TPM_KEY_MISSING,
    /** The TPM refuses to load the key blob (altered, or made under another TPM or seed). */
    TPM_KEY_REJECTED,
    /** The device certificate's public key is not the TPM key's. */
    TPM_KEY_MISMATCH,
    /** The TPM refused to sign (unreachable, failing, or the key gone). */
    TPM_SIGN_REFUSED,
    /** The device enrolled with a file key; a TPM-held key needs a new enrollment. */
    TPM_KEY_MIGRATION
  }

  private final Reason reason;

  TpmKeyException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  TpmKeyException(Reason reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}

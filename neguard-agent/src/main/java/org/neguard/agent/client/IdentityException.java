package org.neguard.agent.client;

import java.io.IOException;
import java.util.Objects;

/**
 * The device identity in the identity directory cannot be used as it is (docs/AGENT.md, "The
 * device identity and its renewal"): the agent logs {@code identity_refused} with {@link
 * #reason()} and a message saying what to do, and never uses a key that is not the
 * certificate's.
 */
public final class IdentityException extends IOException {
  private static final long serialVersionUID = 1L;

  /** Why, as the agent's event names it. */
  public enum Reason {
    /** No private key file for the certificate's public key. */
    IDENTITY_KEY_MISSING,
    /** The key file is truncated, empty or not a PKCS#8 key of an algorithm a device uses. */
    IDENTITY_KEY_UNREADABLE,
    /** The private key is not the key of the certificate (a signature by it does not verify). */
    IDENTITY_KEY_MISMATCH
  }

  private final Reason reason;

  IdentityException(Reason reason, String message, Throwable cause) {
    super(reason + ": " + message, cause);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  public Reason reason() {
    return reason;
  }
}

package org.neguard.sign;

import java.security.Provider;
import java.security.Security;
import org.bouncycastle.jce.provider.BouncyCastleProvider;

/** The one Bouncy Castle provider instance, registered once. */
final class Providers {
  static final Provider BC = register();

  private Providers() {}

  private static Provider register() {
    Provider existing = Security.getProvider(BouncyCastleProvider.PROVIDER_NAME);
    if (existing != null) {
      return existing;
    }
    Provider bc = new BouncyCastleProvider();
    // Appended, not inserted first: the JDK's own SHA-256 stays the default (it uses the CPU's
    // SHA instructions).
    Security.addProvider(bc);
    return bc;
  }
}

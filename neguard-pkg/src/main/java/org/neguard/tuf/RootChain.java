package org.neguard.tuf;

import java.util.Objects;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The checks of a root: a first one (or one trusted by hand) against itself, and each step of the
 * chain against the root before it. The same checks serve the server (root upload), the CLI
 * (signing in turn) and the client (5.3 of the specification's workflow).
 */
public final class RootChain {
  private RootChain() {}

  /**
   * A first root: it parses, and carries its own root threshold of valid signatures.
   *
   * @throws RefusalException {@code MALFORMED}; {@code REPO_SIGNATURE}
   */
  public static RootMetadata checkFirst(Metadata root) throws RefusalException {
    Objects.requireNonNull(root, "root");
    RootMetadata parsed = root.root();
    parsed.verifyThreshold(Role.ROOT, root);
    return parsed;
  }

  /**
   * One step: {@code next} is signed by {@code trusted}'s root threshold (so no one without the
   * old keys can rotate them away) and by its own (so its new keys really are held), and its
   * version is {@code trusted}'s plus one. The expiry is not checked: a client may walk through
   * expired roots and checks only the last one's.
   *
   * @throws RefusalException {@code MALFORMED}; {@code REPO_SIGNATURE}; {@code REPO_ROLLBACK}
   *     for a version other than trusted + 1
   */
  public static RootMetadata checkStep(RootMetadata trusted, Metadata next)
      throws RefusalException {
    Objects.requireNonNull(trusted, "trusted");
    Objects.requireNonNull(next, "next");
    if (next.role() != Role.ROOT) {
      throw Fields.malformed("a " + next.role().roleName() + " file is served as a root");
    }
    int byTrusted = trusted.countValidSignatures(Role.ROOT, next);
    if (byTrusted < trusted.role(Role.ROOT).threshold()) {
      throw RefusalException.about(ReasonCode.REPO_SIGNATURE, "root",
          "root version " + next.version() + " has " + byTrusted + " valid signature(s) by the "
              + "root keys of trusted root version " + trusted.version() + ", which requires "
              + trusted.role(Role.ROOT).threshold() + ": a root is accepted only when the "
              + "previous root's key holders signed it; sign it with them ("
              + "`neguard repo root sign`)");
    }
    RootMetadata parsed = next.root();
    int byItself = parsed.countValidSignatures(Role.ROOT, next);
    if (byItself < parsed.role(Role.ROOT).threshold()) {
      throw RefusalException.about(ReasonCode.REPO_SIGNATURE, "root",
          "root version " + parsed.version() + " has " + byItself + " valid signature(s) by its "
              + "own root keys, which it requires " + parsed.role(Role.ROOT).threshold()
              + " of: the new key holders must sign it too (`neguard repo root sign`)");
    }
    if (parsed.version() != trusted.version() + 1) {
      throw RefusalException.about(ReasonCode.REPO_ROLLBACK, "root",
          "root version " + parsed.version() + " was served where version "
              + (trusted.version() + 1) + " was expected after trusted version "
              + trusted.version() + ": an old or out-of-order root (a rollback); use another "
              + "mirror or tell the repository's administrator");
    }
    return parsed;
  }
}

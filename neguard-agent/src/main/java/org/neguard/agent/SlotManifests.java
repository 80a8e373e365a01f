package org.neguard.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.UUID;
import org.neguard.io.FileTrees;
import org.neguard.pkg.BundleLayout;
import org.neguard.pkg.BundleReader;
import org.neguard.pkg.Manifest;
import org.neguard.pkg.ManifestCodec;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The signed manifest of each installed slot, kept in the state directory so that {@code neguard
 * agent verify-installed} can re-hash the slot's tree against what the vendor signed, long after
 * the bundle is gone: {@code state.dir/manifests/<name>-<version>/manifest.json} (the exact bytes
 * the vendor signed) and {@code manifest.json.p7s} (the detached CMS signature).
 *
 * <p>The bytes come from the very reader the bundle verifier checked ({@link #capture}, called
 * from the verifier's check, after the signature and every digest passed), never from a second
 * read of the bundle. {@link #keep} writes them into a temporary directory and renames it into
 * place before the switch: a reader sees the old pair or the new one, never half of each.
 * One order at a time (the agent's loop); not for concurrent orders.
 */
public final class SlotManifests {
  static final String DIR = "manifests";
  static final String MANIFEST = "manifest.json";
  static final String SIGNATURE = "manifest.json.p7s";

  /** A slot's kept manifest: the signed bytes and their CMS signature. */
  public record Kept(String slot, byte[] manifest, byte[] signature) {
    public Kept {
      manifest = manifest.clone();
      signature = signature.clone();
    }

    @Override
    public byte[] manifest() {
      return manifest.clone();
    }

    @Override
    public byte[] signature() {
      return signature.clone();
    }
  }

  private final Path dir;
  /** What the last verified bundle carried: set by {@link #capture}, taken by {@link #keep}. */
  private volatile Kept captured;

  /** The kept manifests of the agent whose state directory is {@code stateDir}. */
  public SlotManifests(Path stateDir) {
    this.dir = stateDir.toAbsolutePath().resolve(DIR);
  }

  public Path dir() {
    return dir;
  }

  /**
   * Remembers the manifest bytes and the signature of {@code reader}, a bundle whose signature
   * and digests the verifier has just checked (call it from {@code BundleVerifier}'s check).
   *
   * @throws RefusalException UNSIGNED when the bundle has no signature (the verifier refuses
   *     such a bundle before; this is the belt to its braces)
   */
  public void capture(BundleReader reader) throws RefusalException {
    Manifest m = reader.manifest();
    byte[] sig = reader.signature().orElseThrow(() -> new RefusalException(ReasonCode.UNSIGNED,
        "the package is not signed (no " + BundleLayout.SIGNATURE + ")"));
    capture(m, reader.manifestBytes(), sig);
  }

  /** {@link #capture(BundleReader)} of a manifest, its exact bytes and their signature. */
  void capture(Manifest m, byte[] manifestBytes, byte[] signature) {
    captured = new Kept(Slots.name(m.name(), m.version()), manifestBytes, signature);
  }

  /**
   * Keeps the manifest captured for {@code slot}, replacing what was kept for a slot of that name
   * (a version installed again), in one rename. Call it after the extraction, before the switch.
   *
   * @param m the verified manifest of the slot (the extraction's); must be the captured one
   * @throws RefusalException CONFLICT when nothing, or another manifest, was captured (the
   *     check did not run for this bundle): the caller must not switch
   */
  public void keep(Path slot, Manifest m) throws IOException, RefusalException {
    Kept k = captured;
    captured = null;
    String name = slot.getFileName().toString();
    // The captured manifest names the package version; the slot may be its second generation.
    if (k == null || !k.slot().equals(Slots.base(name))
        || !ManifestCodec.decode(k.manifest()).equals(m)) {
      throw new RefusalException(ReasonCode.CONFLICT, "the signed manifest of " + name
          + " was not captured during its verification; nothing is switched");
    }
    checkName(name);
    Files.createDirectories(dir);
    Path tmp = dir.resolve(".tmp-" + name + "-" + UUID.randomUUID());
    Path target = dir.resolve(name);
    Path old = dir.resolve(".old-" + name + "-" + UUID.randomUUID());
    try {
      Files.createDirectory(tmp);
      Files.write(tmp.resolve(MANIFEST), k.manifest());
      Files.write(tmp.resolve(SIGNATURE), k.signature());
      if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
        Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      if (Files.exists(tmp, LinkOption.NOFOLLOW_LINKS)) {
        FileTrees.deleteTree(tmp);
      }
      if (Files.exists(old, LinkOption.NOFOLLOW_LINKS)) {
        FileTrees.deleteTree(old);
      }
    }
  }

  /** Removes what is kept for the slot named {@code slot} (a slot that was removed). */
  void forget(String slot) throws IOException, RefusalException {
    checkName(slot);
    Path d = dir.resolve(slot);
    if (Files.exists(d, LinkOption.NOFOLLOW_LINKS)) {
      FileTrees.deleteTree(d);
    }
  }

  /** The manifest kept for the slot named {@code slot} ({@code core-1.0}), if any. */
  public Optional<Kept> load(String slot) throws IOException, RefusalException {
    checkName(slot);
    Path d = dir.resolve(slot);
    Path m = d.resolve(MANIFEST);
    Path s = d.resolve(SIGNATURE);
    if (!Files.isRegularFile(m, LinkOption.NOFOLLOW_LINKS)
        || !Files.isRegularFile(s, LinkOption.NOFOLLOW_LINKS)) {
      return Optional.empty();
    }
    // Bounded reads: the state directory is the agent's own, but a verifier trusts no size.
    if (Files.size(m) > 64L << 20 || Files.size(s) > 1L << 20) {
      throw RefusalException.about(ReasonCode.SIZE_LIMIT, d.toString(), "the kept manifest in "
          + d + " is larger than any bundle may carry");
    }
    return Optional.of(new Kept(slot, Files.readAllBytes(m), Files.readAllBytes(s)));
  }

  private static void checkName(String slot) throws RefusalException {
    if (!Slots.isSlotName(slot)) {
      throw RefusalException.about(ReasonCode.UNSAFE_PATH, slot, "'" + slot
          + "' is not a safe slot name");
    }
  }
}

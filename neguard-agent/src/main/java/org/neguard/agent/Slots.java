package org.neguard.agent;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.neguard.io.FileTrees;
import org.neguard.pkg.BundleExtractor;
import org.neguard.pkg.BundleLimits;
import org.neguard.pkg.Manifest;
import org.neguard.pkg.Verification;
import org.neguard.progress.ProgressListener;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The install root's layout: {@code versions/<name>@<version>/} holds one version's payload
 * ({@code @} is in neither a package name nor a version, so two packages never share a slot:
 * with a hyphen, {@code core} 1.0-x and {@code core-1.0} x would);
 * {@code current} is a relative symbolic link to the active slot, {@code previous} to the
 * last-known-good one. Each step is separate (extract, {@link #activate}), so that a journal can
 * record it and a restart resume it.
 */
public final class Slots {
  static final String VERSIONS = "versions";
  static final String CURRENT = "current";
  static final String PREVIOUS = "previous";
  /**
   * Starts with a letter or digit: never one of the hidden names of a step under way. A version
   * installed again over its own active slot (a reinstall) takes the generation suffix
   * {@code ~1} ({@code ~} is in neither a name nor a version), and the next reinstall the plain
   * name again.
   */
  private static final Pattern SLOT = Pattern.compile(
      "[A-Za-z0-9][A-Za-z0-9._+-]{0,127}@[A-Za-z0-9._+-]{1,128}(~1)?");
  static final String GENERATION = "~1";

  private final Path root;

  public Slots(Path installRoot) {
    this.root = installRoot.toAbsolutePath();
  }

  public Path root() {
    return root;
  }

  /** Whether {@code s} is a slot name ({@code <name>@<version>}, starting with a letter or digit). */
  static boolean isSlotName(String s) {
    return SLOT.matcher(s).matches();
  }

  /** The package version a slot name holds: {@code core@1.0} of {@code core@1.0~1}. */
  static String base(String slotName) {
    return slotName.endsWith(GENERATION)
        ? slotName.substring(0, slotName.length() - GENERATION.length()) : slotName;
  }

  /**
   * Where an order for a package version extracts: its slot, or, when that slot is the active
   * one (the same version ordered again: a reinstall onto a tree that may have been tampered
   * with, REC-1), the other generation of it. The active tree is never written to: the new one
   * is extracted beside it and {@code current} switched to it by one rename.
   */
  public Path slotFor(String name, String version) throws IOException, RefusalException {
    Path slot = slot(name, version);
    if (slot.equals(active().orElse(null))) {
      return slot.resolveSibling(slot.getFileName() + GENERATION);
    }
    return slot;
  }

  /** The slot name of a package version: {@code <name>@<version>}. */
  public static String name(String name, String version) {
    return name + "@" + version;
  }

  /** The slot directory of a package version. */
  public Path slot(String name, String version) throws RefusalException {
    String s = name(name, version);
    if (!SLOT.matcher(s).matches()) {
      throw RefusalException.about(ReasonCode.UNSAFE_PATH, s, "'" + s
          + "' is not a safe slot name");
    }
    return root.resolve(VERSIONS).resolve(s);
  }

  /**
   * Where a payload file lands in {@code slot}, refusing anything that would escape it: an
   * absolute path, a {@code ..} component, an empty component, or an existing symbolic link on
   * the way.
   */
  static Path inside(Path slot, String entry) throws RefusalException {
    if (entry.isEmpty() || entry.startsWith("/") || entry.contains("\\")
        || entry.contains("\0")) {
      throw RefusalException.about(ReasonCode.UNSAFE_PATH, entry, "'" + entry
          + "' would land outside the slot");
    }
    Path at = slot;
    for (String part : entry.split("/", -1)) {
      if (part.isEmpty() || part.equals(".") || part.equals("..")) {
        throw RefusalException.about(ReasonCode.UNSAFE_PATH, entry, "'" + entry
            + "' would land outside the slot");
      }
      at = at.resolve(part);
      if (Files.isSymbolicLink(at)) {
        throw RefusalException.about(ReasonCode.UNSAFE_PATH, entry, "'" + entry
            + "' passes through a symbolic link in the slot");
      }
    }
    if (!at.normalize().startsWith(slot.normalize()) || at.normalize().equals(slot.normalize())) {
      throw RefusalException.about(ReasonCode.UNSAFE_PATH, entry, "'" + entry
          + "' would land outside the slot");
    }
    return at;
  }

  /** Refuses a manifest any of whose files would escape a slot. */
  static void checkPaths(Path slot, Manifest manifest) throws RefusalException {
    for (Manifest.FileEntry f : manifest.files()) {
      inside(slot, f.path());
    }
  }

  /**
   * Verifies (through {@code extractor}, whose verifier carries every check) and extracts the
   * bundle into a temporary directory next to the slots, then renames it to the slot. On any
   * failure nothing is left behind.
   *
   * @return the verification and the slot
   */
  public Extracted extract(BundleExtractor extractor, Path bundle, String name, String version,
      ProgressListener progress) throws IOException, RefusalException {
    Path slot = slotFor(name, version);
    Files.createDirectories(slot.getParent());
    Path tmp = slot.getParent().resolve(".tmp-" + slot.getFileName() + "-" + UUID.randomUUID());
    try {
      Verification v = extractor.extract(bundle, tmp, BundleLimits.defaults(), progress);
      if (!v.manifest().name().equals(name) || !v.manifest().version().equals(version)) {
        throw new RefusalException(ReasonCode.BAD_INPUT, "the bundle is "
            + v.manifest().name() + " " + v.manifest().version() + ", not " + name + " "
            + version);
      }
      if (Files.exists(slot, LinkOption.NOFOLLOW_LINKS)) {
        if (slot.equals(active().orElse(null))) {
          throw new RefusalException(ReasonCode.CONFLICT, "version " + name + " " + version
              + " is the active one; a slot in use is not replaced");
        }
        // The same version again (a left-over, or last-known-good): set the old tree aside,
        // put the freshly verified one in its place, then delete the old one.
        Path old = slot.getParent().resolve(".old-" + slot.getFileName() + "-"
            + UUID.randomUUID());
        Files.move(slot, old, StandardCopyOption.ATOMIC_MOVE);
        Files.move(tmp, slot, StandardCopyOption.ATOMIC_MOVE);
        FileTrees.deleteTree(old);
        return new Extracted(v, slot);
      }
      Files.move(tmp, slot, StandardCopyOption.ATOMIC_MOVE);
      return new Extracted(v, slot);
    } finally {
      if (Files.exists(tmp, LinkOption.NOFOLLOW_LINKS)) {
        FileTrees.deleteTree(tmp);
      }
    }
  }

  /** What {@link #extract} produced. */
  public record Extracted(Verification verification, Path slot) {}

  /** The slot {@code current} points to, if any. */
  public Optional<Path> active() throws IOException {
    return link(CURRENT);
  }

  /**
   * The active slot for a reader that acts on it (verify, measure): {@code current} must lead
   * to a directory of {@code versions/} with a slot's name, not followed further. Empty when
   * nothing is active.
   *
   * @throws RefusalException UNSAFE_PATH if the link was changed to lead anywhere else
   */
  public Optional<Path> activeSlot() throws IOException, RefusalException {
    Optional<Path> active = active();
    if (active.isEmpty()) {
      return active;
    }
    Path slot = active.get();
    Path versions = root.resolve(VERSIONS);
    if (!versions.equals(slot.getParent()) || !isSlotName(slot.getFileName().toString())) {
      throw RefusalException.about(ReasonCode.UNSAFE_PATH, slot.toString(), "'current' points"
          + " to " + slot + ", not a slot of " + versions + ": the link was changed by hand");
    }
    if (!Files.isDirectory(slot, LinkOption.NOFOLLOW_LINKS)) {
      throw RefusalException.about(ReasonCode.UNSAFE_PATH, slot.toString(), "the active slot "
          + slot + " is not a directory (a symbolic link, or missing)");
    }
    return active;
  }

  /** The slot {@code previous} points to, if any. */
  public Optional<Path> previous() throws IOException {
    return link(PREVIOUS);
  }

  private Optional<Path> link(String name) throws IOException {
    Path l = root.resolve(name);
    if (!Files.isSymbolicLink(l)) {
      return Optional.empty();
    }
    return Optional.of(root.resolve(Files.readSymbolicLink(l)).normalize());
  }

  /**
   * Makes {@code slot} active: {@code previous} is first pointed at the slot active now (if
   * any, and not {@code slot}), then {@code current} at {@code slot}, each by creating the new
   * link under a temporary name and renaming it over the old one (one atomic rename).
   */
  public void activate(Path slot) throws IOException {
    Optional<Path> now = active();
    if (now.isPresent() && !now.get().equals(slot)) {
      relink(PREVIOUS, now.get());
    }
    relink(CURRENT, slot);
  }

  /**
   * Switches back after a failed health check: {@code current} to {@code lastGood} by one atomic
   * rename, or, with no last-known-good (a first install), {@code current} removed (one unlink).
   */
  public void rollBack(Optional<Path> lastGood) throws IOException {
    if (lastGood.isPresent()) {
      relink(CURRENT, lastGood.get());
    } else {
      Files.deleteIfExists(root.resolve(CURRENT));
    }
  }

  /**
   * Puts the links back as they were before a switch (a rollback, or a recovery after a crash
   * between the switch and the confirmed health check): {@code current} to {@code lastGood}
   * (removed when there was none), then {@code previous} to {@code previousBefore} (removed
   * when there was none). Each change is one rename or one unlink, and running it again changes
   * nothing: a crash during it is recovered by running it again.
   */
  public void restore(Optional<Path> lastGood, Optional<Path> previousBefore) throws IOException {
    rollBack(lastGood);
    restorePrevious(previousBefore);
  }

  /** {@code previous} to {@code slot} by one rename, or removed when empty (one unlink). */
  public void restorePrevious(Optional<Path> slot) throws IOException {
    if (slot.isPresent()) {
      relink(PREVIOUS, slot.get());
    } else {
      Files.deleteIfExists(root.resolve(PREVIOUS));
    }
  }

  /**
   * Removes what a step cut short (by a crash) leaves behind: {@code versions/.tmp-*} (an
   * extraction), {@code versions/.old-*} (a slot set aside while replaced) and the temporary
   * links of a switch. A slot set aside whose place is empty (the crash fell between the two
   * renames of {@link #extract}) is put back instead: it may be last-known-good, which
   * {@code previous} names. Called at start-up only, when no step is running.
   *
   * @return the paths removed, and each slot put back (its own path, not the set-aside one)
   */
  public java.util.List<Path> removeLeftovers() throws IOException {
    java.util.List<Path> removed = new java.util.ArrayList<>();
    Path versions = root.resolve(VERSIONS);
    if (Files.isDirectory(versions, LinkOption.NOFOLLOW_LINKS)) {
      try (var s = Files.newDirectoryStream(versions, p -> {
        String n = p.getFileName().toString();
        return n.startsWith(".tmp-") || n.startsWith(".old-");
      })) {
        for (Path p : s) {
          Optional<Path> place = setAsideFrom(p);
          if (place.isPresent() && !Files.exists(place.get(), LinkOption.NOFOLLOW_LINKS)) {
            Files.move(p, place.get(), StandardCopyOption.ATOMIC_MOVE);
            removed.add(place.get());
          } else {
            FileTrees.deleteTree(p);
            removed.add(p);
          }
        }
      }
    }
    if (Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
      try (var s = Files.newDirectoryStream(root, p -> {
        String n = p.getFileName().toString();
        return (n.startsWith("." + CURRENT + "-") || n.startsWith("." + PREVIOUS + "-"))
            && Files.isSymbolicLink(p);
      })) {
        for (Path p : s) {
          Files.delete(p);
          removed.add(p);
        }
      }
    }
    return removed;
  }

  /**
   * The slot {@code .old-<slot>-<uuid>} was set aside from ({@link #extract}); empty for any
   * other name (a {@code .tmp-*}, or a name this class does not make).
   */
  private static Optional<Path> setAsideFrom(Path p) {
    String n = p.getFileName().toString();
    int uuid = n.length() - 36;
    if (!n.startsWith(".old-") || uuid <= 6 || n.charAt(uuid - 1) != '-') {
      return Optional.empty();
    }
    try {
      UUID.fromString(n.substring(uuid));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    String slot = n.substring(5, uuid - 1);
    return isSlotName(slot) ? Optional.of(p.resolveSibling(slot)) : Optional.empty();
  }

  private void relink(String name, Path slot) throws IOException {
    Path tmp = root.resolve("." + name + "-" + UUID.randomUUID());
    Files.createSymbolicLink(tmp, root.relativize(slot));
    try {
      Files.move(tmp, root.resolve(name), StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.deleteIfExists(tmp);
      throw e;
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}

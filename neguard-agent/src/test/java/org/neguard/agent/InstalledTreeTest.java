package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.measure.Sha256;
import org.neguard.pkg.BundleLayout;
import org.neguard.pkg.Manifest;
import org.neguard.pkg.ManifestCodec;
import org.neguard.sign.TrustStore;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * The comparison of an installed tree with its manifest, file by file (the signature half is
 * exercised against a real agent install by the CLI's AgentLocalCommandsTest).
 */
@DisplayName("INT-3 INT-1 verify-installed: the active slot re-hashed against its manifest")
class InstalledTreeTest {
  @TempDir Path root;
  Path slot;
  Manifest manifest;

  static Manifest.FileEntry file(Path slot, String path, String content, String mode)
      throws Exception {
    Path p = slot.resolve(path);
    Files.createDirectories(p.getParent());
    Files.writeString(p, content);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(
        mode.equals("0755") ? "rwxr-xr-x" : "rw-r--r--"));
    return new Manifest.FileEntry(path, content.length(), mode,
        Sha256.hex(content.getBytes(StandardCharsets.UTF_8)));
  }

  static Manifest manifest(String name, String version, List<Manifest.FileEntry> files) {
    return new Manifest(BundleLayout.FORMAT, name, version, 1, "mme", "ACME",
        "2026-12-01T10:00:00Z", new Manifest.Rim(org.neguard.measure.TreeDigest.ALGORITHM,
            ManifestCodec.rimOf(files)),
        files, List.of());
  }

  @BeforeEach
  void install() throws Exception {
    slot = Files.createDirectories(root.resolve("versions/core@1.0"));
    List<Manifest.FileEntry> files = new ArrayList<>();
    files.add(file(slot, "bin/mmed", "#!/bin/sh\necho mme\n", "0755"));
    files.add(file(slot, "lib/core.so", "the core library", "0644"));
    files.add(file(slot, "etc/mme.conf", "port=36412\n", "0644"));
    manifest = manifest("core", "1.0", files);
  }

  private Map<String, InstalledTree.Kind> findings() throws Exception {
    return InstalledTree.compare(slot, manifest, null).findings().stream()
        .collect(Collectors.toMap(InstalledTree.Finding::path, InstalledTree.Finding::kind));
  }

  @Test
  @DisplayName("INT-3 the tree as extracted matches: no finding, every file re-hashed")
  void compare_untouched_intact() throws Exception {
    InstalledTree.Result r = InstalledTree.compare(slot, manifest, null);
    assertThat(r.intact()).as("%s", r.findings()).isTrue();
    assertThat(r.filesChecked()).isEqualTo(3);
  }

  @Test
  @DisplayName("INT-3 INT-1 a changed byte, a deleted file and an added file are each named:"
      + " DIGEST_MISMATCH, missing (STRUCTURE), extra (STRUCTURE)")
  void compare_tampered_namesEachFile() throws Exception {
    byte[] lib = Files.readAllBytes(slot.resolve("lib/core.so"));
    lib[3] ^= 1;
    Files.write(slot.resolve("lib/core.so"), lib);
    Files.delete(slot.resolve("etc/mme.conf"));
    Files.writeString(slot.resolve("bin/backdoor"), "nc -l 4444");
    List<InstalledTree.Finding> f = InstalledTree.compare(slot, manifest, null).findings();
    assertThat(f).extracting(InstalledTree.Finding::path, InstalledTree.Finding::kind,
        InstalledTree.Finding::code).containsExactly(
            org.assertj.core.groups.Tuple.tuple("bin/backdoor", InstalledTree.Kind.EXTRA,
                ReasonCode.STRUCTURE),
            org.assertj.core.groups.Tuple.tuple("etc/mme.conf", InstalledTree.Kind.MISSING,
                ReasonCode.STRUCTURE),
            org.assertj.core.groups.Tuple.tuple("lib/core.so", InstalledTree.Kind.CHANGED,
                ReasonCode.DIGEST_MISMATCH));
  }

  @Test
  @DisplayName("INT-3 same length, other content: DIGEST_MISMATCH (the digest, not the size,"
      + " decides); a setuid bit added: MODE")
  void compare_sameSizeOrModeChanged_reported() throws Exception {
    Files.writeString(slot.resolve("lib/core.so"), "THE core library");
    Files.setAttribute(slot.resolve("bin/mmed"), "unix:mode", 04755);
    assertThat(findings()).containsExactlyInAnyOrderEntriesOf(Map.of(
        "lib/core.so", InstalledTree.Kind.CHANGED, "bin/mmed", InstalledTree.Kind.MODE));
  }

  @Test
  @DisplayName("INT-3 a symbolic link or a FIFO not in the manifest, and a listed file replaced"
      + " by a link, are refused UNSAFE_PATH; nothing is followed")
  void compare_linksAndSpecialFiles_unsafe() throws Exception {
    Files.createSymbolicLink(slot.resolve("lib/libc.so"), Path.of("/nonexistent/libc.so"));
    Files.delete(slot.resolve("etc/mme.conf"));
    Path outside = Files.writeString(root.resolve("outside.conf"), "port=36412\n");
    Files.createSymbolicLink(slot.resolve("etc/mme.conf"), outside);
    Process p = new ProcessBuilder("mkfifo", slot.resolve("bin/pipe").toString()).start();
    assertThat(p.waitFor()).isZero();
    List<InstalledTree.Finding> f = InstalledTree.compare(slot, manifest, null).findings();
    assertThat(f).extracting(InstalledTree.Finding::path).containsExactly("bin/pipe",
        "etc/mme.conf", "lib/libc.so");
    assertThat(f).allSatisfy(x -> assertThat(x.code()).isEqualTo(ReasonCode.UNSAFE_PATH));
    assertThat(f.get(1).message()).contains("where the signed manifest lists a regular file");
  }

  @Test
  @DisplayName("INT-3 a directory the manifest does not know is extra; a listed directory"
      + " replaced by a link makes its files missing and the link unsafe")
  void compare_directories_checked() throws Exception {
    Files.createDirectories(slot.resolve("plugins/evil"));
    Files.writeString(slot.resolve("plugins/evil/x.so"), "x");
    Path elsewhere = Files.createDirectories(root.resolve("elsewhere"));
    Files.move(slot.resolve("lib"), elsewhere.resolve("lib"));
    Files.createSymbolicLink(slot.resolve("lib"), elsewhere.resolve("lib"));
    assertThat(findings()).containsExactlyInAnyOrderEntriesOf(Map.of(
        "plugins", InstalledTree.Kind.EXTRA, "lib", InstalledTree.Kind.UNSAFE,
        "lib/core.so", InstalledTree.Kind.MISSING));
  }

  @Test
  @DisplayName("INT-3 nothing active is an error (BAD_INPUT); current leading outside versions/"
      + " is UNSAFE_PATH; an active slot without a kept signed manifest is UNSIGNED")
  void verify_nothingToVerifyAgainst_refused() throws Exception {
    Slots slots = new Slots(root);
    SlotManifests kept = new SlotManifests(root.resolve("state"));
    TrustStore trust = null; // never reached: each refusal comes before the signature
    assertThatThrownBy(() -> InstalledTree.verify(slots, kept, trust, Clock.systemUTC()))
        .isInstanceOfSatisfying(RefusalException.class, e -> assertThat(e.reasons().get(0)
            .code()).isEqualTo(ReasonCode.BAD_INPUT));
    Path other = Files.createDirectories(root.resolve("other/core@1.0"));
    Files.createSymbolicLink(root.resolve("current"), other);
    assertThatThrownBy(() -> InstalledTree.verify(slots, kept, trust, Clock.systemUTC()))
        .isInstanceOfSatisfying(RefusalException.class, e -> assertThat(e.reasons().get(0)
            .code()).isEqualTo(ReasonCode.UNSAFE_PATH));
    Files.delete(root.resolve("current"));
    slots.activate(slot);
    assertThatThrownBy(() -> InstalledTree.verify(slots, kept, trust, Clock.systemUTC()))
        .isInstanceOfSatisfying(RefusalException.class, e -> {
          assertThat(e.reasons().get(0).code()).isEqualTo(ReasonCode.UNSIGNED);
          assertThat(e.getMessage()).contains("core@1.0");
        });
  }
}

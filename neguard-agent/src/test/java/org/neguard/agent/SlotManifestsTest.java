package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.pkg.Manifest;
import org.neguard.pkg.ManifestCodec;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

@DisplayName("INT-3 the signed manifest of each installed slot is kept for verify-installed")
class SlotManifestsTest {
  @TempDir Path state;

  static Manifest manifest(String version, String content) throws Exception {
    Path tree = Files.createTempDirectory("slot-manifests-");
    try {
      return InstalledTreeTest.manifest("core", version,
          List.of(InstalledTreeTest.file(tree, "lib/core.so", content, "0644")));
    } finally {
      org.neguard.io.FileTrees.deleteTree(tree);
    }
  }

  @Test
  @DisplayName("INT-3 keep writes the captured bytes and signature under manifests/<slot>/;"
      + " a re-install of the version replaces them whole; no temporary directory is left")
  void keep_captured_writtenAndReplaced() throws Exception {
    SlotManifests kept = new SlotManifests(state);
    Manifest m = manifest("1.0", "one");
    byte[] bytes = ManifestCodec.encode(m);
    kept.capture(m, bytes, new byte[] {1, 2, 3});
    kept.keep(state.resolve("install/versions/core@1.0"), m);
    SlotManifests.Kept k = kept.load("core@1.0").orElseThrow();
    assertThat(k.manifest()).isEqualTo(bytes);
    assertThat(k.signature()).containsExactly(1, 2, 3);
    assertThat(state.resolve("manifests/core@1.0/manifest.json")).hasBinaryContent(bytes);

    Manifest again = manifest("1.0", "one, rebuilt");
    kept.capture(again, ManifestCodec.encode(again), new byte[] {4});
    kept.keep(state.resolve("install/versions/core@1.0"), again);
    assertThat(kept.load("core@1.0").orElseThrow().signature()).containsExactly(4);
    try (var s = Files.list(state.resolve("manifests"))) {
      assertThat(s.map(p -> p.getFileName().toString())).containsExactly("core@1.0");
    }
    assertThat(kept.load("core@2.0")).isEmpty();
  }

  @Test
  @DisplayName("INT-3 keep without a capture, or with another package's, is refused CONFLICT and"
      + " writes nothing (the caller does not switch)")
  void keep_notCaptured_refused() throws Exception {
    SlotManifests kept = new SlotManifests(state);
    Manifest one = manifest("1.0", "one");
    Manifest two = manifest("2.0", "two");
    assertThatThrownBy(() -> kept.keep(state.resolve("versions/core@1.0"), one))
        .isInstanceOfSatisfying(RefusalException.class,
            e -> assertThat(e.reasons().get(0).code()).isEqualTo(ReasonCode.CONFLICT));
    kept.capture(two, ManifestCodec.encode(two), new byte[] {1});
    assertThatThrownBy(() -> kept.keep(state.resolve("versions/core@1.0"), one))
        .isInstanceOfSatisfying(RefusalException.class,
            e -> assertThat(e.reasons().get(0).code()).isEqualTo(ReasonCode.CONFLICT));
    // Same name and version, other content: not the manifest that was verified.
    Manifest forged = manifest("1.0", "forged");
    kept.capture(one, ManifestCodec.encode(one), new byte[] {1});
    assertThatThrownBy(() -> kept.keep(state.resolve("versions/core@1.0"), forged))
        .isInstanceOf(RefusalException.class);
    assertThat(state.resolve("manifests/core@1.0")).doesNotExist();
  }

  @Test
  @DisplayName("INT-3 a slot name that could leave the manifests directory is refused"
      + " UNSAFE_PATH")
  void load_unsafeName_refused() {
    SlotManifests kept = new SlotManifests(state);
    for (String bad : new String[] {"..", "../x", "a/b", ".hidden", ""}) {
      assertThatThrownBy(() -> kept.load(bad)).as(bad)
          .isInstanceOfSatisfying(RefusalException.class,
              e -> assertThat(e.reasons().get(0).code()).isEqualTo(ReasonCode.UNSAFE_PATH));
    }
  }
}

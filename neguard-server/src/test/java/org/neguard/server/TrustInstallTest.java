package org.neguard.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.sign.TrustStore.AnchorFile;
import org.neguard.testing.TestPki;

/** SRC-2: {@code neguard server --trust VENDOR=CA.pem} keeps the binding beside the anchor. */
class TrustInstallTest {
  @TempDir Path dir;

  @Test
  void installTrust_boundAnchors_writeVendorsFiles_unboundRemovesThem() throws Exception {
    Path acme = TestPki.create("CN=ACME Root").writeRoot(dir.resolve("acme.pem"));
    Path rival = TestPki.create("CN=Rival Root").writeRoot(dir.resolve("rival.crt"));
    Path data = dir.resolve("data");

    try (DataDir d = DataDir.open(data)) {
      d.installTrust(List.of(new AnchorFile(acme, "ACME Networks"),
          new AnchorFile(acme, "ACME Labs"), new AnchorFile(rival, "Rival Radio")), List.of());
    }

    Path anchors = data.resolve("trust/anchors");
    assertThat(anchors.resolve("acme.pem")).hasSameTextualContentAs(acme);
    assertThat(anchors.resolve("acme.pem.vendors")).hasContent("ACME Networks\nACME Labs");
    assertThat(anchors.resolve("rival.crt.vendors")).hasContent("Rival Radio");

    try (DataDir d = DataDir.open(data)) {
      d.installTrust(List.of(new AnchorFile(acme, null)), List.of());
    }

    assertThat(anchors.resolve("acme.pem.vendors")).doesNotExist();
    assertThat(anchors.resolve("rival.crt.vendors")).hasContent("Rival Radio");
  }
}

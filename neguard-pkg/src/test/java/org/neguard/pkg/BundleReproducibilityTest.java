package org.neguard.pkg;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.TimeZone;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The same tree and creation time give the same bundle bytes, whatever the builder's zone. */
class BundleReproducibilityTest {
  @TempDir Path tmp;

  @Test
  void build_sameTreeInTwoTimeZones_sameBytesAndNoExtendedTimeFields() throws Exception {
    Path tree = TestBundles.smallTree(tmp.resolve("tree"));
    TimeZone saved = TimeZone.getDefault();
    try {
      TimeZone.setDefault(TimeZone.getTimeZone("Asia/Tokyo"));
      TestBundles.build(tree, tmp.resolve("tokyo.ngp"));
      TimeZone.setDefault(TimeZone.getTimeZone("America/New_York"));
      TestBundles.build(tree, tmp.resolve("new-york.ngp"));
    } finally {
      TimeZone.setDefault(saved);
    }
    assertThat(Files.readAllBytes(tmp.resolve("tokyo.ngp")))
        .isEqualTo(Files.readAllBytes(tmp.resolve("new-york.ngp")));
    try (var zip = org.apache.commons.compress.archivers.zip.ZipFile.builder()
        .setPath(tmp.resolve("tokyo.ngp")).get()) {
      for (var e : java.util.Collections.list(zip.getEntries())) {
        assertThat(e.getExtraFields()).as(e.getName()).noneMatch(f ->
            f instanceof org.apache.commons.compress.archivers.zip.X000A_NTFS
                || f instanceof org.apache.commons.compress.archivers.zip.X5455_ExtendedTimestamp);
      }
    }
  }
}

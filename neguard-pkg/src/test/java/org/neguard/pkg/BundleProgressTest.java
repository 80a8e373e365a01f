package org.neguard.pkg;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.testing.TestPki;
import org.neguard.progress.ProgressListener;

/** Long operations report progress that ends at their total (the CLI draws it as a bar). */
class BundleProgressTest {
  @TempDir Path dir;

  @Test
  void buildAndVerify_progressReachesTotal() throws Exception {
    Path tree = Files.createDirectories(dir.resolve("tree"));
    Files.write(tree.resolve("a.bin"), new byte[3 << 20]);
    Files.write(tree.resolve("b.bin"), new byte[12345]);
    long bytes = (3 << 20) + 12345;
    AtomicLong lastDone = new AtomicLong();
    AtomicLong lastTotal = new AtomicLong();
    ProgressListener record = (done, total) -> {
      lastDone.accumulateAndGet(done, Math::max);
      lastTotal.set(total);
    };
    Path bundle = dir.resolve("p.ngp");
    BundleBuilder.builder().name("p").version("1").securityVersion(1).neType("mme").vendor("V")
        .progress(record).build().build(tree, bundle);
    assertThat(lastTotal.get()).isEqualTo(2 * bytes); // read once to measure, once to write
    assertThat(lastDone.get()).isEqualTo(2 * bytes);

    TestPki pki = TestPki.create();
    new BundleSigner().sign(bundle, pki.codeSigner().material(), bundle, false,
        ProgressListener.NONE);
    lastDone.set(0);
    BundleVerifier.of(pki.trust()).verify(bundle, record);
    assertThat(lastTotal.get()).isEqualTo(bytes);
    assertThat(lastDone.get()).isEqualTo(bytes);
  }
}

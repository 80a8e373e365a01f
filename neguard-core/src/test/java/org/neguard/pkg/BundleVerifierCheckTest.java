package org.neguard.pkg;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.testing.TestPki;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/** INT-1: a configured bundle check runs once signature and digests are good, and its refusal stands. */
class BundleVerifierCheckTest {
  @TempDir Path tmp;

  @Test
  @DisplayName("INT-1: the builder's check is applied and its refusal is the verdict")
  void verify_checkRefuses_refusalIsTheVerdict() throws Exception {
    TestPki pki = TestPki.create();
    Path bundle = TestBundles.signedSmallBundle(tmp, "c", pki.codeSigner().material());
    AtomicInteger calls = new AtomicInteger();
    BundleVerifier v = BundleVerifier.builder(pki.trust()).threads(1).check(reader -> {
      calls.incrementAndGet();
      assertThat(reader.manifest().name()).isEqualTo("mme-core");
      throw new RefusalException(ReasonCode.STRUCTURE, "the check refuses this package");
    }).build();
    RefusalException e = TestBundles.assertRefused(
        () -> v.verify(bundle, ProgressListener.NONE), ReasonCode.STRUCTURE);
    assertThat(e.getMessage()).contains("the check refuses this package");
    assertThat(calls).hasValue(1);
    assertThat(BundleVerifier.of(pki.trust()).verify(bundle, ProgressListener.NONE).manifest().name())
        .isEqualTo("mme-core");
  }
}

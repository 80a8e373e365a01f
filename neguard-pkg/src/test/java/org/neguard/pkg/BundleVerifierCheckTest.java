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
import org.neguard.progress.ProgressListener;

/** INT-1: a configured bundle check runs once signature and digests are good, and its refusal stands. */
class BundleVerifierCheckTest {
  @TempDir static Path tmp;
  private static TestPki pki;
  private static Path bundle;

  @org.junit.jupiter.api.BeforeAll
  static void setUp() throws Exception {
    pki = TestPki.create();
    bundle = TestBundles.signedSmallBundle(tmp, "c", pki.codeSigner().material());
  }

  @Test
  @DisplayName("INT-1: the builder's check is applied and its refusal is the verdict")
  void verify_checkRefuses_refusalIsTheVerdict() throws Exception {
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

  @Test
  @DisplayName("INT-1: a verification interrupted while it waits for the digests stops, and stays interrupted")
  void verify_interruptedWhileAwaiting_interruptedIoAndFlagKept() throws Exception {
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    BundleVerifier v = BundleVerifier.builder(pki.trust()).threads(1).build();
    java.util.concurrent.atomic.AtomicReference<Throwable> thrown = new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.atomic.AtomicBoolean flagAfter = new java.util.concurrent.atomic.AtomicBoolean();
    Thread verifying = new Thread(() -> {
      try {
        v.verify(bundle, (done, total) -> {
          try {
            release.await(); // holds the hashing back until the verifier waits for it
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
      } catch (Throwable t) {
        thrown.set(t);
      }
      flagAfter.set(Thread.currentThread().isInterrupted());
    });
    verifying.start();
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (verifying.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
      Thread.sleep(2);
    }
    verifying.interrupt();
    verifying.join(10_000);
    release.countDown();
    assertThat(thrown.get()).isInstanceOf(java.io.InterruptedIOException.class)
        .hasMessage("verification interrupted");
    assertThat(flagAfter).as("the interrupt is kept for the caller").isTrue();
  }
}

package org.neguard.pkg;

import org.neguard.progress.ProgressListener;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.neguard.testing.TestPki;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * OBJ-1: a deterministic mutation fuzz of a valid signed bundle (byte flips, overwrites,
 * truncations, insertions, deletions), bounded in time, runs in every build next to Jazzer's
 * regression replay. The only acceptable outcomes are a pass, a {@link RefusalException} or an
 * {@link IOException}; and no mutation that changes a byte the signature or digests cover may pass.
 * Also checks that the committed Jazzer seeds still reach the checks they were made for.
 */
class BundleMutationTest {
  private static final long SEED = 20261123L;
  private static final int ROUNDS = 2500;
  private static final int MIN_ROUNDS = 300;
  private static final long BUDGET_NANOS = 6_000_000_000L;
  private static final Path SEEDS = Path.of(
      "src/test/resources/org/neguard/pkg/BundleReaderFuzzTestInputs/openAndVerify");

  @TempDir Path tmp;

  @Tag("slow") // left out of the mutation run (pom profile "mutation")
  @Test
  @DisplayName("OBJ-1: thousands of mutated bundles end in a verdict, never a crash")
  void verify_mutatedBundles_onlyVerdictsOrIoErrors() throws Exception {
    TestPki pki = TestPki.create();
    Path good = TestBundles.signedSmallBundle(tmp, "good", pki.codeSigner().material());
    byte[] original = Files.readAllBytes(good);
    BundleVerifier verifier = BundleVerifier.builder(pki.trust()).threads(1).build();
    Random random = new Random(SEED);
    Path file = tmp.resolve("mutant.ngp");
    Map<ReasonCode, Integer> seen = new EnumMap<>(ReasonCode.class);
    List<String> passedChanged = new ArrayList<>();
    long start = System.nanoTime();
    int rounds = 0;
    int passed = 0;
    Map<String, String> crashes = new java.util.TreeMap<>();
    // A fixed floor of rounds whatever the machine's load; the time budget only caps the rest.
    for (; rounds < ROUNDS && (rounds < MIN_ROUNDS || System.nanoTime() - start < BUDGET_NANOS);
        rounds++) {
      String[] how = new String[1];
      byte[] mutant = mutate(original, random, how);
      Files.write(file, mutant);
      try {
        verifier.verify(file, ProgressListener.NONE);
        passed++;
        // A mutant may pass only if the change hit bytes nothing relies on (timestamps, local
        // header copies of central-directory fields...): what it delivers must be the original.
        if (!sameContent(file, good)) {
          passedChanged.add(how[0]);
        }
      } catch (RefusalException e) {
        seen.merge(e.code(), 1, Integer::sum);
        assertThat(e.reasons().get(0).message()).isNotBlank();
      } catch (IOException e) {
        seen.merge(ReasonCode.IO_ERROR, 1, Integer::sum);
      } catch (RuntimeException | Error e) {
        crashes.putIfAbsent(e.getClass().getName() + " at " + firstNeguardFrame(e),
            "round " + rounds + " (" + how[0] + "): " + e);
      }
    }
    assertThat(seen).as("the mutations reach several checks").containsKeys(
        ReasonCode.MALFORMED, ReasonCode.DIGEST_MISMATCH);
    assertThat(passedChanged).as("INT-4: mutants that passed but deliver other content").isEmpty();
    assertThat(passed).as("passing mutants").isLessThan(rounds / 4);
    assertThat(crashes).as("OBJ-1: exceptions other than verdicts (seed " + SEED + ")").isEmpty();
  }

  private static String firstNeguardFrame(Throwable e) {
    for (StackTraceElement f : e.getStackTrace()) {
      if (f.getClassName().startsWith("org.neguard.") && !f.getClassName().endsWith("Test")) {
        return f.getClassName() + "." + f.getMethodName() + ":" + f.getLineNumber();
      }
    }
    return "?";
  }

  /** Whether both bundles deliver the same manifest bytes and the same payload content. */
  private static boolean sameContent(Path a, Path b) throws Exception {
    try (BundleReader ra = BundleReader.open(a, TestBundles.LIMITS);
        BundleReader rb = BundleReader.open(b, TestBundles.LIMITS)) {
      if (!java.util.Arrays.equals(ra.manifestBytes(), rb.manifestBytes())) {
        return false;
      }
      for (Manifest.FileEntry f : ra.manifest().files()) {
        byte[] ca;
        byte[] cb;
        try (var in = ra.openEntry(f.entryName(), f.size())) {
          ca = in.readAllBytes();
        }
        try (var in = rb.openEntry(f.entryName(), f.size())) {
          cb = in.readAllBytes();
        }
        if (!java.util.Arrays.equals(ca, cb)) {
          return false;
        }
      }
      return true;
    }
  }

  private static byte[] mutate(byte[] in, Random r, String[] how) {
    byte[] b = in.clone();
    int kind = r.nextInt(6);
    int pos = r.nextInt(b.length);
    switch (kind) {
      case 0 -> {
        b[pos] ^= (byte) (1 << r.nextInt(8));
        how[0] = "flip bit at " + pos;
      }
      case 1 -> {
        int n = 1 + r.nextInt(8);
        for (int i = pos; i < Math.min(b.length, pos + n); i++) {
          b[i] = (byte) r.nextInt(256);
        }
        how[0] = "overwrite " + n + " bytes at " + pos;
      }
      case 2 -> {
        b = java.util.Arrays.copyOf(b, pos);
        how[0] = "truncate to " + pos;
      }
      case 3 -> {
        int n = 1 + r.nextInt(16);
        byte[] c = new byte[b.length + n];
        System.arraycopy(b, 0, c, 0, pos);
        for (int i = 0; i < n; i++) {
          c[pos + i] = (byte) r.nextInt(256);
        }
        System.arraycopy(b, pos, c, pos + n, b.length - pos);
        b = c;
        how[0] = "insert " + n + " bytes at " + pos;
      }
      case 4 -> {
        int n = Math.min(1 + r.nextInt(16), b.length - pos);
        byte[] c = new byte[b.length - n];
        System.arraycopy(b, 0, c, 0, pos);
        System.arraycopy(b, pos + n, c, pos, b.length - pos - n);
        b = c;
        how[0] = "delete " + n + " bytes at " + pos;
      }
      default -> {
        // Integer fields set to extremes: sizes, offsets, counts.
        int p = Math.min(pos, b.length - 4);
        int v = switch (r.nextInt(4)) {
          case 0 -> 0;
          case 1 -> -1;
          case 2 -> Integer.MAX_VALUE;
          default -> 0x7FFF_FFF0;
        };
        b[p] = (byte) v;
        b[p + 1] = (byte) (v >> 8);
        b[p + 2] = (byte) (v >> 16);
        b[p + 3] = (byte) (v >> 24);
        how[0] = "int " + Integer.toHexString(v) + " at " + p;
      }
    }
    return b;
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "valid-signed.ngp, CERT_UNTRUSTED",
    "truncated.ngp, MALFORMED",
    "empty, MALFORMED",
    "unsigned.ngp, UNSIGNED",
    "dotdot.ngp, UNSAFE_PATH",
    "symlink.ngp, UNSAFE_PATH",
    "duplicate.ngp, STRUCTURE",
    "huge-declared-size.ngp, SIZE_LIMIT",
    "bad-manifest.ngp, MALFORMED",
    "corrupt-certificate.ngp, SIGNATURE_INVALID",
    "corrupt-signed-attributes-1.ngp, SIGNATURE_INVALID",
    "corrupt-signed-attributes-2.ngp, SIGNATURE_INVALID",
    "unpaired-surrogate.ngp, UNSAFE_PATH",
    "file-and-directory.ngp, STRUCTURE",
    "hidden-entry.ngp, MALFORMED",
    "local-name-differs.ngp, MALFORMED",
    "hidden-after-deflate-zip64.ngp, MALFORMED",
    "hidden-after-deflate.ngp, MALFORMED",
    "local-zip64-disagrees.ngp, MALFORMED",
    "huge-entry-count.ngp, SIZE_LIMIT",
  })
  @DisplayName("OBJ-1: each committed Jazzer seed still reaches the check it was made for")
  void jazzerSeeds_reachTheirChecks(String seed, ReasonCode expected) throws Exception {
    Path file = SEEDS.resolve(seed);
    assertThat(file).exists();
    BundleVerifier verifier = BundleVerifier.builder(TestPki.create().trust()).threads(1).build();

    TestBundles.assertRefused(() -> verifier.verify(file, ProgressListener.NONE), expected);
  }
}

package org.neguard.pkg;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.neguard.testing.TestPki;
import org.neguard.verdict.RefusalException;
import org.neguard.progress.ProgressListener;

/**
 * OBJ-1: no input makes the reader or verifier fail other than by a verdict. Any bytes end in a
 * verification, a {@link RefusalException}, or an {@link IOException}; any other exception or
 * error is a finding.
 *
 * <p>Under plain {@code mvn test} Jazzer runs in regression mode: it replays the committed seeds
 * in {@code src/test/resources/org/neguard/pkg/BundleReaderFuzzTestInputs/openAndVerify/} (a valid
 * signed bundle, truncated, empty, '..' entry, symlink, duplicate, lying size, bad manifest, an
 * entry hidden after a deflate stream, local ZIP64 sizes that disagree, a huge entry count), each
 * as one test invocation. To fuzz: {@code JAZZER_FUZZ=1 mvn test -pl neguard-pkg
 * -Dtest=BundleReaderFuzzTest}. Regenerate the seeds with {@link SeedCorpusGenerator}.
 */
class BundleReaderFuzzTest {
  private static final TestPki PKI = TestPki.create("CN=Fuzz Root CA,O=NEGuard Tests");
  private static final BundleVerifier VERIFIER =
      BundleVerifier.builder(PKI.trust()).threads(1).build();

  @FuzzTest(maxDuration = "5m")
  void openAndVerify(byte[] data) throws IOException {
    Path file = Files.createTempFile("neguard-fuzz-", ".ngp");
    try {
      Files.write(file, data);
      try (BundleReader reader = BundleReader.open(file, BundleLimits.defaults())) {
        VERIFIER.verify(reader, ProgressListener.NONE);
      } catch (RefusalException | IOException expected) {
        // A verdict, or an unreadable file: both are acceptable outcomes. Running out of memory
        // is not: every limit applies before the memory it guards is spent (issue 10).
      }
    } finally {
      Files.deleteIfExists(file);
    }
  }
}

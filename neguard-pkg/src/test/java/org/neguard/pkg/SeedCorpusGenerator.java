package org.neguard.pkg;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.testing.TestPki;

/**
 * Regenerates the committed seed corpus of {@link BundleReaderFuzzTest}. Not part of the normal
 * run; invoke with {@code mvn test -pl neguard-pkg -Dtest=SeedCorpusGenerator
 * -Dneguard.writeSeeds=true} from the repository root.
 */
@EnabledIfSystemProperty(named = "neguard.writeSeeds", matches = "true")
class SeedCorpusGenerator {
  static final Path DIR = Path.of(
      "src/test/resources/org/neguard/pkg/BundleReaderFuzzTestInputs/openAndVerify");

  @TempDir Path tmp;

  @Test
  void writeSeeds() throws Exception {
    Files.createDirectories(DIR);
    TestPki pki = TestPki.create("CN=Seed Corpus Root CA,O=NEGuard Tests");
    Path good = TestBundles.signedSmallBundle(tmp, "seed", pki.codeSigner().material());
    byte[] bytes = Files.readAllBytes(good);
    Files.write(DIR.resolve("valid-signed.ngp"), bytes);
    Files.write(DIR.resolve("truncated.ngp"), Arrays.copyOf(bytes, bytes.length / 2));
    Files.write(DIR.resolve("empty"), new byte[0]);
    BundleTamper.of(good).remove(BundleLayout.SIGNATURE).write(DIR.resolve("unsigned.ngp"));
    BundleTamper.of(good).add("../evil", "evil\n".getBytes()).write(DIR.resolve("dotdot.ngp"));
    BundleTamper.of(good).symlink("payload/" + TestBundles.TOOL, "/etc/shadow")
        .write(DIR.resolve("symlink.ngp"));
    BundleTamper.of(good).duplicate("payload/" + TestBundles.CONF)
        .write(DIR.resolve("duplicate.ngp"));
    Path huge = BundleTamper.of(good).deflate("payload/" + TestBundles.DATA)
        .write(DIR.resolve("huge-declared-size.ngp"));
    BundleTamper.lieAboutSize(huge, "payload/" + TestBundles.DATA, 0xFFFF_FFF0L);
    BundleTamper.of(good).modify(BundleLayout.MANIFEST, b -> "{\"format\":1}".getBytes())
        .write(DIR.resolve("bad-manifest.ngp"));
    // Crashed SignatureVerifier with an IllegalArgumentException (lazy certificate parsing):
    // the embedded certificate's issuer Name turned from a SEQUENCE into a SET.
    byte[] issuer = pki.root.getSubjectX500Principal().getEncoded();
    BundleTamper.of(good).modify(BundleLayout.SIGNATURE, b -> {
      byte[] c = b.clone();
      for (int i = 0; i <= c.length - issuer.length; i++) {
        if (Arrays.equals(c, i, i + issuer.length, issuer, 0, issuer.length)) {
          c[i] = 0x31;
          break;
        }
      }
      return c;
    }).write(DIR.resolve("corrupt-certificate.ngp"));
    assertThat(DIR).isDirectoryContaining("glob:**/valid-signed.ngp");
  }

  /**
   * The layouts of issue 10 (findings 1 and 4). Alone: {@code -Dtest=SeedCorpusGenerator#writeIssue10Seeds}.
   */
  @Test
  void writeIssue10Seeds() throws Exception {
    Files.createDirectories(DIR);
    TestPki pki = TestPki.create("CN=Seed Corpus Root CA,O=NEGuard Tests");
    Path good = TestBundles.signedSmallBundle(tmp, "seed", pki.codeSigner().material());
    byte[] evil = "#!/bin/sh\nexit 1\n".getBytes();
    String tool = "payload/" + TestBundles.TOOL;
    // The manifest is deflated and read when the bundle is opened, so both reach their check
    // before the signature's.
    RawZip.read(good).hideAfterDeflateStream(BundleLayout.MANIFEST, tool, evil, true)
        .write(DIR.resolve("hidden-after-deflate-zip64.ngp"));
    RawZip.read(good).hideAfterDeflateStream(BundleLayout.MANIFEST, tool, evil, false)
        .write(DIR.resolve("hidden-after-deflate.ngp"));
    RawZip z = RawZip.read(good);
    RawZip.Member m = z.member(tool);
    m.localCompressedSize = 0xffffffffL;
    m.localSize = 0xffffffffL;
    m.localExtra = RawZip.zip64Extra(m.size - 1, m.compressedSize - 1);
    z.write(DIR.resolve("local-zip64-disagrees.ngp"));
    java.nio.ByteBuffer end = java.nio.ByteBuffer.allocate(98)
        .order(java.nio.ByteOrder.LITTLE_ENDIAN);
    end.putInt(ZipLayout.ZIP64_EOCD_SIGNATURE).putLong(44).putShort((short) 45)
        .putShort((short) 45).putInt(0).putInt(0).putLong(2_000_000).putLong(2_000_000)
        .putLong(94_000_000).putLong(0);
    end.putInt(ZipLayout.ZIP64_LOCATOR_SIGNATURE).putInt(0).putLong(0).putInt(1); // the record is at 0
    end.putInt(ZipLayout.EOCD_SIGNATURE).putShort((short) 0).putShort((short) 0)
        .putShort((short) -1).putShort((short) -1).putInt(-1).putInt(-1).putShort((short) 0);
    Files.write(DIR.resolve("huge-entry-count.ngp"), end.array());
  }
}

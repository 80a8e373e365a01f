package org.neguard.pkg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Random;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.neguard.sign.SigningIdentity;
import org.neguard.sign.TrustStore;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.neguard.progress.ProgressListener;

/** Trees, bundles and refusal assertions shared by the package tests. */
final class TestBundles {
  static final Instant CREATED = Instant.parse("2026-01-15T10:00:00Z");
  static final BundleLimits LIMITS = BundleLimits.defaults();

  /** Paths of the small tree, below payload/. */
  static final String TOOL = "bin/tool";
  static final String CONF = "etc/app.conf";
  static final String DATA = "lib/deep/nested/data.bin";
  static final String EMPTY = "empty.txt";

  private TestBundles() {}

  static BundleBuilder.Builder builder() {
    return BundleBuilder.builder()
        .name("mme-core")
        .version("1.0.0")
        .securityVersion(3)
        .neType("mme")
        .vendor("Example Vendor Ltd.")
        .created(CREATED)
        .threads(2);
  }

  /** A small tree: an executable, a config file, nested binary data, an empty file. */
  static Path smallTree(Path dir) throws IOException {
    write(dir, TOOL, "#!/bin/sh\necho 'tool'\n".getBytes(StandardCharsets.US_ASCII), "rwxr-xr-x");
    write(dir, CONF, "key=value\nport=36412\n".getBytes(StandardCharsets.US_ASCII), "rw-r-----");
    write(dir, DATA, randomBytes(4096, 7), "rw-r--r--");
    write(dir, EMPTY, new byte[0], "rw-r--r--");
    return dir;
  }

  static Path write(Path root, String rel, byte[] content, String perms) throws IOException {
    Path file = root.resolve(rel);
    Files.createDirectories(file.getParent());
    Files.write(file, content);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString(perms));
    return file;
  }

  static byte[] randomBytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Builds an unsigned bundle of {@code tree} at {@code out}. */
  static Path build(Path tree, Path out) throws IOException, RefusalException {
    builder().build().build(tree, out);
    return out;
  }

  /** Signs {@code bundle} in place. */
  static Path sign(Path bundle, SigningIdentity identity) throws IOException, RefusalException {
    new BundleSigner(LIMITS, 2).sign(bundle, identity, bundle, false, ProgressListener.NONE);
    return bundle;
  }

  /** Builds and signs a bundle of the small tree, in {@code dir}. */
  static Path signedSmallBundle(Path dir, String name, SigningIdentity identity)
      throws IOException, RefusalException {
    Path tree = smallTree(dir.resolve(name + "-tree"));
    return sign(build(tree, dir.resolve(name + BundleLayout.EXTENSION)), identity);
  }

  static BundleVerifier verifier(TrustStore trust) {
    return BundleVerifier.builder(trust).threads(2).build();
  }

  static Verification verify(Path bundle, TrustStore trust) throws IOException, RefusalException {
    return verifier(trust).verify(bundle, ProgressListener.NONE);
  }

  /** The content of one entry. */
  static byte[] entry(Path bundle, String name) throws IOException {
    try (ZipFile zip = ZipFile.builder().setPath(bundle).get();
        InputStream in = zip.getInputStream(zip.getEntry(name))) {
      return in.readAllBytes();
    }
  }

  /** The compression method of one entry. */
  static int method(Path bundle, String name) throws IOException {
    try (ZipFile zip = ZipFile.builder().setPath(bundle).get()) {
      ZipArchiveEntry e = zip.getEntry(name);
      return e.getMethod();
    }
  }

  /**
   * Runs {@code call}, which must throw a {@link RefusalException} whose first reason has {@code
   * code} and whose messages are sentences for people, not stack traces or class names.
   */
  static RefusalException assertRefused(ThrowingCallable call, ReasonCode code) {
    RefusalException e = catchThrowableOfType(RefusalException.class, call);
    assertThat(e).as("expected a RefusalException with %s", code).isNotNull();
    assertThat(e.code()).as("reasons: %s", e.reasons()).isEqualTo(code);
    for (Reason r : e.reasons()) {
      assertSentence(r.message());
    }
    return e;
  }

  /** Like {@link #assertRefused} for any code. */
  static RefusalException assertRefusedAnyCode(ThrowingCallable call) {
    RefusalException e = catchThrowableOfType(RefusalException.class, call);
    assertThat(e).as("expected a RefusalException").isNotNull();
    for (Reason r : e.reasons()) {
      assertSentence(r.message());
    }
    return e;
  }

  /** A message a person can read: words, one line, no class names or stack frames. */
  static void assertSentence(String message) {
    assertThat(message)
        .as("a sentence, not a stack trace or class name")
        .hasSizeGreaterThan(15)
        .contains(" ")
        .doesNotContain("\n")
        .doesNotContain("\tat ")
        .doesNotContainPattern("\\b(java|javax|sun|org|com)\\.[a-z0-9_.]+\\.[A-Z]\\w*")
        .doesNotContainPattern("^[A-Z]\\w*(Exception|Error)\\b");
  }
}

package org.neguard.server.pkg;

import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.neguard.io.AtomicFiles;
import org.neguard.measure.Sha256;
import org.neguard.pkg.BundleLimits;
import org.neguard.pkg.BundleReader;
import org.neguard.pkg.Manifest;
import org.neguard.pkg.Verification;
import org.neguard.server.DataDir;
import org.neguard.server.audit.AuditEvent;
import org.neguard.server.audit.AuditLog;
import org.neguard.server.web.ApiException;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Verified ingest (SRC-2): an upload is streamed to a private temp file in the data directory
 * (never held in memory), verified in full by {@link PublicationGate}, and only then moved into
 * the package store and recorded. A refused or interrupted upload leaves nothing behind; a
 * server killed mid-upload leaves a temp file or an unrecorded bundle that the next start
 * removes. Stored packages are immutable: the same name and version with another manifest is
 * refused ({@code CONFLICT}). Thread-safe.
 */
@Component
public final class PackageIngest {
  private static final Logger LOG = LoggerFactory.getLogger(PackageIngest.class);
  private static final int BUFFER = 1 << 20;

  /** The outcome of an accepted upload. */
  public record Accepted(PackageStore.StoredPackage pkg, boolean created) {
    /** The package as the API shows it. */
    public org.neguard.api.pkg.PackageInfo info() {
      return pkg.wire();
    }
  }

  /**
   * Where the bundle's bytes come from, opened only after the declared length passed: the
   * console's form opens its file part here, so that a form too large is refused before a byte
   * of it is parsed, and a malformed form is refused (with its code and an audit row) like a
   * malformed bundle.
   */
  @FunctionalInterface
  public interface Body {
    /**
     * The bundle's bytes.
     *
     * @throws RefusalException when the request does not carry a bundle where it should
     */
    InputStream open() throws IOException, RefusalException;
  }

  private final DataDir dataDir;
  private final PublicationGate gate;
  private final PackageStore store;
  private final AuditLog audit;
  private final TransactionTemplate tx;
  private final long maxBytes;
  private final Clock clock = Clock.systemUTC();
  private final MeterRegistry metrics;
  private final ApplicationEventPublisher events;
  private final PackageHolds holds;
  private final HeldPackages held;

  PackageIngest(DataDir dataDir, PublicationGate gate, PackageStore store, AuditLog audit,
      PlatformTransactionManager transactions, MeterRegistry metrics,
      ApplicationEventPublisher events, PackageHolds holds, HeldPackages held,
      @Value("${neguard.max-upload-bytes}") long maxBytes) throws IOException {
    this.holds = holds;
    this.held = held;
    this.metrics = metrics;
    this.events = events;
    this.dataDir = dataDir;
    this.gate = gate;
    this.store = store;
    this.audit = audit;
    this.tx = new TransactionTemplate(transactions);
    this.maxBytes = maxBytes;
    recover();
  }

  /**
   * Receives, verifies and stores one bundle. Whatever goes wrong, a refusal, an internal error
   * or an {@link Error} such as {@link OutOfMemoryError} while verifying, ends in an {@link
   * ApiException} with a reason code and an audit row; nothing is stored then.
   *
   * @param actor the publisher
   * @param declaredLength the request's Content-Length, or -1
   * @param body the request body
   * @throws ApiException with the refusal's status and reasons; nothing is stored then
   * @throws IOException if the upload broke off; nothing is stored then
   */
  Accepted ingest(String actor, long declaredLength, InputStream body) throws IOException {
    return ingest(actor, declaredLength, () -> body);
  }

  /**
   * As {@link #ingest(String, long, InputStream)}, the body opened once the declared length has
   * passed (the console's multipart form).
   *
   * @param declaredLength the most the bundle can have by the request's Content-Length, or -1
   */
  public Accepted ingest(String actor, long declaredLength, Body opener) throws IOException {
    if (declaredLength > maxBytes) {
      throw refuse(actor, "upload of " + declaredLength + " bytes", new RefusalException(
          ReasonCode.SIZE_LIMIT, "the bundle has " + declaredLength + " bytes, more than this"
              + " server accepts (" + limit() + "); ask the operator to raise --max-upload"));
    }
    InputStream body;
    try {
      body = opener.open();
    } catch (RefusalException e) {
      throw refuse(actor, "upload form", e);
    }
    Path tmp = null;
    try {
      tmp = Files.createTempFile(dataDir.uploads(), "upload-", ".part",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      return receiveVerifyStore(actor, body, tmp);
    } catch (ApiException | ClientGone e) {
      throw e; // already counted and audited
    } catch (Throwable e) { // any failure, an Error too, must still be answered and audited
      throw internal(actor, e);
    } finally {
      if (tmp != null) {
        deleteQuietly(tmp);
      }
    }
  }

  private Accepted receiveVerifyStore(String actor, InputStream body, Path tmp)
      throws IOException {
    long t0 = System.nanoTime();
    Received in;
    try {
      in = receive(body, tmp);
    } catch (TooLarge e) {
      throw refuse(actor, "upload of more than " + maxBytes + " bytes", new RefusalException(
          ReasonCode.SIZE_LIMIT, "the bundle is larger than this server accepts (" + limit()
              + "); ask the operator to raise --max-upload"));
    } catch (ClientGone e) {
      count("interrupted", "IO_ERROR");
      audit.append(AuditEvent.failure(actor, "PACKAGE_UPLOAD", "package upload",
          "IO_ERROR: the upload broke off before its end; nothing was stored"));
      throw e;
    }
    if (in.size() == 0) {
      throw refuse(actor, "upload of 0 bytes",
          new RefusalException(ReasonCode.MALFORMED, "the upload is empty; send a .ngp bundle"));
    }
    long t1 = System.nanoTime();
    Verification v;
    String manifestSha;
    PublicationGate.Verified verified;
    PublicationGate.VulnVerdict vulns;
    try {
      verified = gate.verifyForPublication(tmp);
      v = verified.verification();
      manifestSha = manifestSha256(tmp);
      // The vulnerability half of the gate (issue 16): a verdict, not yet a refusal, since a
      // package it holds is kept (store) rather than lost.
      vulns = gate.judge(verified.sbom(), List.of(),
          "package " + v.manifest().name() + " " + v.manifest().version());
    } catch (RefusalException e) {
      throw refuse(actor, "upload of " + in.size() + " bytes, sha256 " + in.sha256(), e);
    }
    long t2 = System.nanoTime();
    Accepted a = store(actor, tmp, in, v.manifest(), manifestSha, v, verified.sbom(), vulns);
    LOG.info("upload of {} {} by {}: {} bytes received in {} ms, verified in {} ms, stored in {} ms",
        v.manifest().name(), v.manifest().version(), actor, in.size(), (t1 - t0) / 1_000_000,
        (t2 - t1) / 1_000_000, (System.nanoTime() - t2) / 1_000_000);
    return a;
  }

  /**
   * An upload that failed inside the server: logged with its stack trace for the operator,
   * answered and audited with a reason code only.
   */
  private ApiException internal(String actor, Throwable e) {
    LOG.error("upload by {} failed inside the server", actor, e);
    String what = e instanceof VirtualMachineError
        ? "the server ran out of resources while checking the upload (" + e.getClass().getSimpleName() + ")"
        : "the server failed while checking or storing the upload";
    count("failed", "INTERNAL");
    try {
      audit.append(AuditEvent.failure(actor, "PACKAGE_UPLOAD", "package upload",
          "INTERNAL: " + what + "; nothing was stored"));
    } catch (RuntimeException auditFailed) {
      // The answer must still go out; the log has both failures.
      LOG.error("could not record the failed upload in the audit log", auditFailed);
    }
    return ApiException.of(ReasonCode.INTERNAL, what + "; nothing was stored. Try again;"
        + " if it fails again, the server log has the details for the operator");
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      LOG.warn("cannot delete {}; the next start removes it", p, e);
    }
  }

  /** The body ended before its end: the client went away (ApiErrors answers IO_ERROR). */
  static final class ClientGone extends IOException {
    private static final long serialVersionUID = 1L;

    ClientGone(IOException cause) {
      super(cause.getMessage(), cause);
    }
  }

  /** What was received: size and SHA-256 of the whole file, the stored bundle's identity. */
  private record Received(long size, String sha256) {}

  private Accepted store(String actor, Path tmp, Received in, Manifest m, String manifestSha,
      Verification v, Optional<byte[]> sbom, PublicationGate.VulnVerdict vulns)
      throws IOException {
    String target = "package " + m.name() + " " + m.version();
    Optional<Accepted> existing = existing(actor, m, in.sha256(), target);
    if (existing.isPresent()) {
      return existing.get();
    }
    // Named by the whole file's digest, not the manifest's: two files with one manifest (a
    // re-signed copy, or a ZIP that shows different readers different contents) never share,
    // or overwrite, one stored file.
    Path stored = dataDir.packages().resolve(in.sha256() + ".ngp");
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("r--------"));
    AtomicFiles.move(tmp, stored);
    PackageStore.StoredPackage p = new PackageStore.StoredPackage(m.name(), m.version(),
        in.sha256(), manifestSha, in.size(), m.securityVersion(), m.neType(), m.vendor(),
        m.rim().digest(), v.signer().subject(), v.signer().fingerprint(), actor,
        clock.instant());
    if (vulns.holds()) {
      hold(actor, p, sbom.orElseThrow(), vulns, m, in, stored, target);
    }
    try {
      tx.executeWithoutResult(s -> {
        store.insert(p);
        audit.append(AuditEvent.success(actor, "PACKAGE_UPLOAD", target,
            "accepted: signed by " + v.signer().subject() + ", sha256 " + in.sha256()
                + ", manifest sha256 " + manifestSha + ", " + in.size() + " bytes"
                + vulnSummary(vulns)));
      });
    } catch (DuplicateKeyException e) {
      // Another upload of the same name and version won the race; the database's unique
      // constraint decided which.
      if (!store.hasFile(in.sha256())) {
        Files.deleteIfExists(stored);
      }
      return existing(actor, m, in.sha256(), target).orElseThrow(() -> e);
    } catch (RuntimeException | Error e) {
      if (!store.hasFile(in.sha256())) {
        Files.deleteIfExists(stored);
      }
      throw e;
    }
    count("accepted", "none");
    stored(p);
    return new Accepted(p, true);
  }

  /** What the vulnerability gate saw, for the audit row of a published package. */
  private static String vulnSummary(PublicationGate.VulnVerdict v) {
    if (v.assessment().isEmpty()) {
      return "; " + v.note();
    }
    String s = "; SBOM: " + v.assessment().get().components() + " component(s) assessed, "
        + v.assessment().get().findings().size() + " finding(s), none at or above "
        + v.failOn() + " unsuppressed";
    if (!v.notAssessed().isEmpty()) {
      String names = String.join(", ", v.notAssessed().subList(0,
          Math.min(10, v.notAssessed().size())));
      s += "; not assessed: " + v.notAssessed().size() + " (" + (names.length() > 600
          ? names.substring(0, 600) + "…" : names) + ")";
    }
    return s;
  }

  /**
   * Keeps a package the vulnerability gate holds: stored and recorded as held (not published),
   * the upload answered KNOWN_VULNERABILITY. Always throws.
   */
  private void hold(String actor, PackageStore.StoredPackage p, byte[] sbom,
      PublicationGate.VulnVerdict vulns, Manifest m, Received in, Path stored, String target)
      throws IOException {
    ApiException refusal;
    try {
      refusal = held.hold(actor, p, sbom, vulns);
    } catch (DuplicateKeyException e) {
      // Another upload of the same name and version was recorded first.
      if (!store.hasFile(in.sha256())) {
        Files.deleteIfExists(stored);
      }
      existing(actor, m, in.sha256(), target);
      throw e;
    } catch (RuntimeException | Error e) {
      if (!store.hasFile(in.sha256())) {
        Files.deleteIfExists(stored);
      }
      throw e;
    }
    count("held", "KNOWN_VULNERABILITY");
    throw refusal;
  }

  /**
   * Tells the features that follow the store (the TUF repository) of a committed package. Their
   * failure is theirs: the package is stored and the upload succeeded; they catch up later.
   */
  private void stored(PackageStore.StoredPackage p) {
    try {
      events.publishEvent(new PackageStored(p.name(), p.version(), p.sha256()));
    } catch (RuntimeException e) {
      LOG.error("package {} {} is stored, but a follower of the store failed on it: {}",
          p.name(), p.version(), e.toString(), e);
    }
  }

  private void count(String outcome, String code) {
    // Every series carries the same tag keys, as Prometheus requires.
    metrics.counter("neguard.package.uploads", "outcome", outcome, "code", code).increment();
  }

  /**
   * The stored package of that name and version: the very same file again, or a conflict. Only
   * a byte-identical file is "already stored"; the same manifest is not enough.
   */
  private Optional<Accepted> existing(String actor, Manifest m, String fileSha,
      String target) {
    Optional<PackageStore.StoredPackage> found = store.find(m.name(), m.version());
    if (found.isEmpty()) {
      Optional<PackageHolds.Hold> h = holds.find(m.name(), m.version())
          .filter(x -> PackageHolds.HELD.equals(x.state()));
      if (h.isEmpty()) {
        return Optional.empty();
      }
      if (fileSha.equals(h.get().pkg().sha256())) {
        count("held", "KNOWN_VULNERABILITY");
        audit.append(AuditEvent.failure(actor, "PACKAGE_UPLOAD", target,
            "KNOWN_VULNERABILITY: held already, the same file (sha256 " + fileSha + ");"
                + " nothing changed"));
        throw held.stillHeld(h.get());
      }
      found = Optional.of(h.get().pkg());
    }
    if (fileSha.equals(found.get().sha256())) {
      audit.append(AuditEvent.success(actor, "PACKAGE_UPLOAD", target,
          "already stored, the same file (sha256 " + fileSha + "); nothing changed"));
      return Optional.of(new Accepted(found.get(), false));
    }
    count("conflict", "CONFLICT");
    audit.append(AuditEvent.failure(actor, "PACKAGE_UPLOAD", target,
        "CONFLICT: stored as another file (sha256 " + found.get().sha256() + "), this one is "
            + fileSha));
    throw ApiException.of(ReasonCode.CONFLICT,
        "package " + m.name() + " " + m.version() + " is already stored as another file (sha256 "
            + found.get().sha256() + "); packages are immutable: publish a new version");
  }

  /**
   * The size limit as a refusal states it: in bytes, and in MiB for whoever picked the file in a
   * browser (the console shows the message as it is).
   */
  private String limit() {
    return "at most " + maxBytes + " bytes, " + mib(maxBytes) + " MiB";
  }

  /** {@code bytes} in MiB, to two decimals at most: 262144 is "0.25", 16 GiB "16384". */
  private static String mib(long bytes) {
    return java.math.BigDecimal.valueOf(bytes)
        .divide(java.math.BigDecimal.valueOf(1L << 20), 2, java.math.RoundingMode.HALF_UP)
        .stripTrailingZeros().toPlainString();
  }

  private ApiException refuse(String actor, String target, RefusalException e) {
    metrics.counter("neguard.package.uploads", "outcome", "refused", "code", e.code().name())
        .increment();
    audit.append(AuditEvent.failure(actor, "PACKAGE_UPLOAD", target,
        e.reasons().stream().map(r -> r.code() + ": " + r.message())
            .collect(Collectors.joining("; "))));
    return ApiException.from(e);
  }

  /**
   * Copies the body to {@code tmp}, synced to disk, hashing it on the way; throws TooLarge past
   * the limit, ClientGone when the body breaks off. A temp file that cannot be written (disk
   * full) is the server's failure, not the client's: a plain IOException.
   */
  private Received receive(InputStream body, Path tmp) throws IOException {
    long total = 0;
    byte[] buf = new byte[BUFFER];
    MessageDigest sha = Sha256.newDigest();
    try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
      int n;
      while ((n = readBody(body, buf)) != -1) {
        total += n;
        if (total > maxBytes) {
          throw new TooLarge();
        }
        sha.update(buf, 0, n);
        ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
        while (bb.hasRemaining()) {
          out.write(bb);
        }
      }
      out.force(true);
    }
    return new Received(total, Sha256.hex(sha));
  }

  private static int readBody(InputStream body, byte[] buf) throws ClientGone {
    try {
      return body.read(buf);
    } catch (IOException e) {
      throw new ClientGone(e);
    }
  }

  private static final class TooLarge extends IOException {
    private static final long serialVersionUID = 1L;
  }

  private static String manifestSha256(Path bundle) throws IOException, RefusalException {
    try (BundleReader r = BundleReader.open(bundle, BundleLimits.defaults())) {
      return Sha256.hex(r.manifestBytes());
    }
  }

  /**
   * Bundles stored before the server kept the whole file's digest (migration V3) were named by
   * their manifest's digest: hash each, store it under that digest and record it. Copy, record,
   * then delete, so that a crash at any point leaves a recorded file behind.
   */
  private void upgradeLegacy() throws IOException {
    for (PackageStore.StoredPackage p : store.withoutFileDigest()) {
      Path old = dataDir.packages().resolve(p.manifestSha256() + ".ngp");
      if (!Files.isRegularFile(old)) {
        LOG.error("the bundle of {} {} is missing from the package store ({})", p.name(),
            p.version(), old.getFileName());
        continue;
      }
      String sha = fileSha256(old);
      Path now = dataDir.packages().resolve(sha + ".ngp");
      if (!Files.exists(now)) {
        Path copy = Files.createTempFile(dataDir.uploads(), "upload-", ".part");
        Files.copy(old, copy, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(copy, PosixFilePermissions.fromString("r--------"));
        AtomicFiles.move(copy, now);
      }
      store.recordFileDigest(p.name(), p.version(), sha);
      Files.deleteIfExists(old);
      LOG.info("package {} {} now stored as {}.ngp (its whole file's SHA-256)", p.name(),
          p.version(), sha);
    }
  }

  private static String fileSha256(Path file) throws IOException {
    MessageDigest sha = Sha256.newDigest();
    byte[] buf = new byte[BUFFER];
    try (InputStream in = Files.newInputStream(file)) {
      int n;
      while ((n = in.read(buf)) != -1) {
        sha.update(buf, 0, n);
      }
    }
    return Sha256.hex(sha);
  }

  /**
   * After a crash (kill -9 mid-upload): removes upload temp files, and bundles the database
   * does not record (moved into the store, then killed before the insert committed).
   */
  private void recover() throws IOException {
    // In a shared store another replica may be uploading right now (its .part file), or be
    // between moving a verified bundle into place and committing its row: only what is older
    // than any upload can be is left over from a crash there.
    Instant leftOver = dataDir.sharedPackages()
        ? clock.instant().minus(SHARED_GRACE) : Instant.MAX;
    try (DirectoryStream<Path> ds =
        Files.newDirectoryStream(dataDir.uploads(), "upload-*.part")) {
      for (Path p : ds) {
        if (!olderThan(p, leftOver)) {
          continue;
        }
        LOG.warn("removing the unfinished upload {} left by an earlier run", p.getFileName());
        Files.deleteIfExists(p);
      }
    }
    upgradeLegacy();
    Set<String> recorded = new HashSet<>(store.storedFileNames());
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dataDir.packages(), "*.ngp")) {
      for (Path p : ds) {
        String sha = p.getFileName().toString().replaceFirst("\\.ngp$", "");
        if (!recorded.contains(sha) && olderThan(p, leftOver)) {
          LOG.warn("removing the unrecorded bundle {} left by an earlier run", p.getFileName());
          Files.deleteIfExists(p);
        }
      }
    }
  }

  /** How old a file in a shared store must be before a starting replica may remove it. */
  static final java.time.Duration SHARED_GRACE = java.time.Duration.ofHours(24);

  private static boolean olderThan(Path p, Instant limit) throws IOException {
    if (limit.equals(Instant.MAX)) {
      return true;
    }
    try {
      return Files.getLastModifiedTime(p).toInstant().isBefore(limit);
    } catch (java.nio.file.NoSuchFileException gone) {
      return false;
    }
  }

  /** The stored file: named by the SHA-256 of the whole bundle. */
  Path bundleFile(PackageStore.StoredPackage p) {
    return dataDir.packages().resolve(p.sha256() + ".ngp");
  }
}

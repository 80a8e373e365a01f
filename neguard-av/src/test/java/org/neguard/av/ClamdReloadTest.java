package org.neguard.av;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.demo.DemoClamd;
import org.neguard.pkg.BundleBuilder;
import org.neguard.progress.ProgressListener;
import org.neguard.scanreport.EngineInfo;
import org.neguard.scanreport.FileResult;
import org.neguard.testing.RequiredProgram;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * AV-3: a report names the signature database that scanned every file. A real clamd reloads
 * another database (its {@code RELOAD} command, as freshclam sends it) after the scan began:
 * {@code VERSION}, asked beside the scan and again after it, differs, and no report is written.
 */
class ClamdReloadTest {
  private static final int FIRST = 5001;
  private static final int SECOND = 5002;

  @TempDir static Path shared;
  @TempDir Path tmp;

  private static DemoClamd clamd;
  private static Path clamdDir;
  /** A database of version {@link #SECOND}, to put in clamd's database directory. */
  private static Path second;

  @BeforeAll
  static void startClamd() throws Exception {
    RequiredProgram.require("clamd");
    RequiredProgram.require("sigtool");
    // The second database is built by a second demo clamd, stopped once it answered.
    Path other = shared.resolve("other");
    try (DemoClamd builder = DemoClamd.builder(other).databaseVersion(SECOND).start()) {
      second = Files.copy(other.resolve("db/daily.cud"), shared.resolve("second.cud"));
    }
    clamdDir = shared.resolve("clamd");
    clamd = DemoClamd.builder(clamdDir).databaseVersion(FIRST).start();
  }

  @AfterAll
  static void stopClamd() throws IOException {
    if (clamd != null) {
      clamd.close();
    }
  }

  @Test
  @DisplayName("AV-3: clamd reloads another database while the scan runs: refused ENGINE_ERROR"
      + " naming both versions, nothing written")
  void run_clamdReloadedDuringTheScan_refusedEngineError_nothingWritten() throws Exception {
    Path bundle = bundle();
    Path out = tmp.resolve("out.ngp");
    ClamdEngine real = ClamdEngine.fromSpec(clamd.unixSpec());
    CountDownLatch describedOnce = new CountDownLatch(1);
    ScanEngine reloading = new ScanEngine() {
      @Override
      public EngineInfo describe() throws RefusalException {
        EngineInfo info = real.describe();
        describedOnce.countDown();
        return info;
      }

      @Override
      public List<FileResult> scan(List<ScanItem> items, ProgressListener progress)
          throws RefusalException {
        List<FileResult> results = real.scan(items, progress);
        // The reload lands after the first VERSION was answered and before the scan is done,
        // as a freshclam update would while a long scan runs.
        try {
          assertThat(describedOnce.await(30, TimeUnit.SECONDS)).isTrue();
          reload(second, SECOND);
        } catch (IOException | InterruptedException e) {
          throw new AssertionError(e);
        }
        return results;
      }
    };

    RefusalException e = catchThrowableOfType(RefusalException.class,
        () -> ScanRunner.builder().engine(clamd.unixSpec(), reloading).build()
            .run(bundle, out, ScanRunner.Progress.NONE));

    assertThat(e).as(clamd.log()).isNotNull();
    assertThat(e.reasons().get(0).code()).isEqualTo(ReasonCode.ENGINE_ERROR);
    assertThat(e.getMessage()).contains("changed while it scanned")
        .contains("database " + FIRST).contains("database " + SECOND);
    assertThat(out).doesNotExist();
  }

  @Test
  @DisplayName("AV-3: clamd unchanged during the scan: VERSION asked twice agrees, the report"
      + " names its database")
  void run_clamdUnchanged_reportNamesItsDatabase() throws Exception {
    Path bundle = bundle();
    Path out = tmp.resolve("out.ngp");
    ClamdEngine real = ClamdEngine.fromSpec(clamd.unixSpec());

    ScanRunner.Result r = ScanRunner.builder().engine(clamd.unixSpec(), real).build()
        .run(bundle, out, ScanRunner.Progress.NONE);

    // Whichever test ran first, the database clamd has now is the one the report names.
    assertThat(r.reports().get(0).engine().databaseVersion())
        .isEqualTo(real.describe().databaseVersion());
    assertThat(out).exists();
  }

  /** Puts {@code database} in clamd's database directory, reloads, waits for VERSION to say it. */
  private static void reload(Path database, int version) throws IOException, InterruptedException {
    Path db = clamdDir.resolve("db");
    Path next = db.resolve("daily.cud.new");
    Files.copy(database, next);
    Files.move(next, db.resolve("daily.cud"), StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
    assertThat(command("zRELOAD\0")).isEqualTo("RELOADING");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!command("zVERSION\0").contains("/" + version + "/")) {
      assertThat(System.nanoTime()).as("VERSION after RELOAD: " + clamd.log())
          .isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  private static String command(String command) throws IOException {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(clamd.socket()));
      ch.write(ByteBuffer.wrap(command.getBytes(StandardCharsets.US_ASCII)));
      InputStream in = Channels.newInputStream(ch);
      String reply = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
      return reply.endsWith("\0") ? reply.substring(0, reply.length() - 1) : reply;
    }
  }

  private Path bundle() throws IOException, RefusalException {
    Path tree = tmp.resolve("tree");
    Files.createDirectories(tree);
    for (int i = 0; i < 5; i++) {
      Files.writeString(tree.resolve("f" + i), "file " + i + "\n", StandardCharsets.UTF_8);
    }
    Path bundle = tmp.resolve("p.ngp");
    BundleBuilder.builder().name("p").version("1").securityVersion(1).neType("mme")
        .vendor("v").created(Instant.parse("2026-01-15T10:00:00Z")).build().build(tree, bundle);
    return bundle;
  }
}

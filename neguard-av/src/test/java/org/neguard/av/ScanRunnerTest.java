package org.neguard.av;

import org.neguard.scanreport.EngineInfo;
import org.neguard.scanreport.FileResult;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.pkg.BundleBuilder;
import org.neguard.pkg.BundleLimits;
import org.neguard.progress.ProgressListener;
import org.neguard.verdict.ReasonCode;
import org.neguard.testing.ZipEdits;
import org.neguard.verdict.RefusalException;

/**
 * The scan runner's own refusals (AV-1, AV-3), with a stand-in engine: the engines start before
 * the manifest is checked, so a refused manifest must stop them and be the answer, and a payload
 * over the limits must not be read at all. Real engines: {@code PkgScanCommandsTest} in the CLI.
 */
class ScanRunnerTest {
  private static final Instant BUILT = Instant.parse("2026-12-01T00:00:00Z");

  @TempDir Path dir;

  @Test
  void run_manifestRefused_stopsTheEngineAndRefusesMalformed_nothingWritten() throws Exception {
    Path bundle = bundle(200);
    ZipEdits.replaceEntry(bundle, "neguard/manifest.json", "{\"format\": ");
    byte[] before = Files.readAllBytes(bundle);
    SlowEngine engine = new SlowEngine(20);

    RefusalException e = catchThrowableOfType(RefusalException.class,
        () -> ScanRunner.builder().engine("slow", engine).build()
            .run(bundle, bundle, ScanRunner.Progress.NONE));

    assertThat(e.reasons().get(0).code()).isEqualTo(ReasonCode.MALFORMED);
    // 200 files at 20 ms each would take 4 s; the refused manifest stops the engine long before.
    assertThat(engine.opened.get()).isLessThan(200);
    assertThat(Files.readAllBytes(bundle)).isEqualTo(before);
  }

  @Test
  void run_payloadOverTheLimit_refusedSizeLimitBeforeAnyEngineReads() throws Exception {
    Path bundle = bundle(3);
    SlowEngine engine = new SlowEngine(0);
    BundleLimits small = new BundleLimits(1000, 1 << 20, 1 << 20, 2, 200, 1 << 20);

    RefusalException e = catchThrowableOfType(RefusalException.class,
        () -> ScanRunner.builder().engine("slow", engine).limits(small).build()
            .run(bundle, bundle, ScanRunner.Progress.NONE));

    assertThat(e.reasons().get(0).code()).isEqualTo(ReasonCode.SIZE_LIMIT);
    assertThat(engine.opened.get()).isZero();
  }

  @Test
  @DisplayName("AV-1, INT-1: a stored payload file whose bytes on disk are not those of its"
      + " CRC-32 stops the scan at the engine's reading: IO_ERROR, nothing written")
  void run_storedPayloadChangedOnDisk_refusedIoError_nothingWritten() throws Exception {
    Path tree = dir.resolve("tree");
    Files.createDirectories(tree);
    byte[] random = new byte[50_000];
    new java.util.Random(3).nextBytes(random); // incompressible: stored
    Files.write(tree.resolve("blob.bin"), random);
    Path bundle = dir.resolve("p.ngp");
    BundleBuilder.builder().name("p").version("1").securityVersion(1).neType("mme")
        .vendor("v").created(Instant.parse("2026-01-15T10:00:00Z")).build().build(tree, bundle);
    byte[] bytes = Files.readAllBytes(bundle);
    // Stored: the file's bytes lie in the bundle as they are.
    int start = new String(bytes, StandardCharsets.ISO_8859_1)
        .indexOf(new String(random, 0, 64, StandardCharsets.ISO_8859_1));
    assertThat(start).as("the file's bytes in the bundle").isNotNegative();
    bytes[start + 30_000] ^= 0x01; // same size, another CRC-32 and SHA-256
    Files.write(bundle, bytes);
    Path out = dir.resolve("out.ngp");

    RefusalException e = catchThrowableOfType(RefusalException.class,
        () -> ScanRunner.builder().engine("slow", new SlowEngine(0)).build()
            .run(bundle, out, ScanRunner.Progress.NONE));

    assertThat(e.reasons().get(0).code()).isEqualTo(ReasonCode.IO_ERROR);
    assertThat(e.getMessage()).contains("blob.bin").contains("CRC-32");
    assertThat(out).doesNotExist();
  }

  @Test
  @DisplayName("AV-1: an engine that cannot say what it is, asked beside a scan that succeeds,"
      + " is the answer: its refusal, nothing written")
  void run_describeFailsBesideTheScan_refusedWithItsReason_nothingWritten() throws Exception {
    Path bundle = bundle(5);
    Path out = dir.resolve("out.ngp");
    SlowEngine engine = new SlowEngine(0) {
      @Override
      public EngineInfo describe() throws RefusalException {
        throw new RefusalException(ReasonCode.ENGINE_UNAVAILABLE, "no VERSION from the stub");
      }
    };

    RefusalException e = catchThrowableOfType(RefusalException.class,
        () -> ScanRunner.builder().engine("stub", engine).build()
            .run(bundle, out, ScanRunner.Progress.NONE));

    assertThat(e.reasons().get(0).code()).isEqualTo(ReasonCode.ENGINE_UNAVAILABLE);
    assertThat(e.getMessage()).contains("no VERSION from the stub");
    assertThat(engine.opened.get()).as("the scan ran beside it").isEqualTo(5);
    assertThat(out).doesNotExist();
  }

  @Test
  @DisplayName("AV-3: an engine that describes itself otherwise after the scan than beside it (its"
      + " signatures reloaded mid-scan) is refused ENGINE_ERROR, nothing written")
  void run_engineDescribedOtherwiseAfterTheScan_refusedEngineError_nothingWritten()
      throws Exception {
    Path bundle = bundle(5);
    Path out = dir.resolve("out.ngp");
    AtomicInteger described = new AtomicInteger();
    SlowEngine engine = new SlowEngine(0) {
      @Override
      public EngineInfo describe() {
        // The first answer is the database that scanned; any later one a reloaded database.
        String database = described.incrementAndGet() == 1 ? "27000" : "27001";
        return new EngineInfo("stub", "Stub", "1", database, BUILT, "stub");
      }
    };

    RefusalException e = catchThrowableOfType(RefusalException.class,
        () -> ScanRunner.builder().engine("stub", engine).build()
            .run(bundle, out, ScanRunner.Progress.NONE));

    assertThat(e.reasons().get(0).code()).isEqualTo(ReasonCode.ENGINE_ERROR);
    assertThat(e.getMessage()).contains("stub changed while it scanned")
        .contains("database 27000").contains("database 27001").contains("scan again");
    assertThat(out).doesNotExist();
  }

  @Test
  @DisplayName("AV-3: the engine is asked what it is again after the scan; the same answer writes"
      + " the report with it")
  void run_engineDescribedAlikeAfterTheScan_reportWritten_askedAgainAfterTheScan()
      throws Exception {
    Path bundle = bundle(5);
    Path out = dir.resolve("out.ngp");
    DescribeRecording engine = new DescribeRecording(0, true);

    ScanRunner.Result r = ScanRunner.builder().engine("stub", engine).build()
        .run(bundle, out, ScanRunner.Progress.NONE);

    assertThat(r.reports()).hasSize(1);
    assertThat(r.reports().get(0).engine().databaseVersion()).isEqualTo("1");
    assertThat(engine.openedWhenDescribed).hasSize(2);
    assertThat(engine.openedWhenDescribed.get(1)).as("the second answer, after all 5 files")
        .isEqualTo(5);
    assertThat(out).exists();
  }

  @Test
  @DisplayName("AV-3: an engine that must describe itself before the scan (YARA: the rules"
      + " file's hash) is asked before it reads a file, and again after")
  void run_engineNotDescribedBesideTheScan_askedBeforeAndAfter() throws Exception {
    Path bundle = bundle(5);
    Path out = dir.resolve("out.ngp");
    DescribeRecording engine = new DescribeRecording(50, false);

    ScanRunner.builder().engine("stub", engine).build()
        .run(bundle, out, ScanRunner.Progress.NONE);

    assertThat(engine.openedWhenDescribed).containsExactly(0, 5);
  }

  private Path bundle(int files) throws IOException, RefusalException {
    Path tree = dir.resolve("tree");
    for (int i = 0; i < files; i++) {
      Files.createDirectories(tree);
      Files.writeString(tree.resolve("f" + i), "file " + i + "\n", StandardCharsets.UTF_8);
    }
    Path bundle = dir.resolve("p.ngp");
    BundleBuilder.builder().name("p").version("1").securityVersion(1).neType("mme")
        .vendor("v").created(Instant.parse("2026-01-15T10:00:00Z")).build().build(tree, bundle);
    return bundle;
  }

  /** Reads every item whole, one at a time, slowly; fails as a real engine would on a read error. */
  private static class SlowEngine implements ScanEngine {
    final AtomicInteger opened = new AtomicInteger();
    private final long millisPerFile;

    SlowEngine(long millisPerFile) {
      this.millisPerFile = millisPerFile;
    }

    @Override
    public EngineInfo describe() throws RefusalException {
      return new EngineInfo("stub", "Stub", "1", "1", BUILT, "stub");
    }

    @Override
    public List<FileResult> scan(List<ScanItem> items, ProgressListener progress)
        throws RefusalException {
      List<FileResult> results = new ArrayList<>();
      for (ScanItem item : items) {
        try (InputStream in = item.content().open()) {
          opened.incrementAndGet();
          in.transferTo(OutputStream.nullOutputStream());
          Thread.sleep(millisPerFile);
        } catch (IOException e) {
          throw item.unreadable(e);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new RefusalException(ReasonCode.ENGINE_ERROR, "interrupted");
        }
        results.add(FileResult.clean(item.path()));
      }
      return results;
    }
  }

  /** Records how many files it had opened each time it was asked what it is. */
  private static final class DescribeRecording extends SlowEngine {
    final List<Integer> openedWhenDescribed =
        java.util.Collections.synchronizedList(new ArrayList<>());
    private final boolean beside;

    DescribeRecording(long millisPerFile, boolean beside) {
      super(millisPerFile);
      this.beside = beside;
    }

    @Override
    public boolean describedBesideScan() {
      return beside;
    }

    @Override
    public EngineInfo describe() throws RefusalException {
      openedWhenDescribed.add(opened.get());
      return super.describe();
    }
  }
}

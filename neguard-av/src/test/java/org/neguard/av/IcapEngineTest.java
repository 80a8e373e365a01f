package org.neguard.av;

import org.neguard.scanreport.EngineInfo;
import org.neguard.scanreport.FileResult;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.neguard.av.Archives.ascii;
import static org.neguard.av.Archives.item;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.progress.ProgressListener;
import org.neguard.scanreport.FileResult.Status;
import org.neguard.testing.FakePeer;
import org.neguard.testing.CIcapServer;
import org.neguard.testing.RequiredProgram;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.neguard.demo.DemoClamd;

/**
 * ICAP (RFC 3507) against Debian's c-icap with its virus_scan service in front of a real clamd
 * (AV-1, AV-3); protocol faults of the peer come from a tiny fake peer.
 */
class IcapEngineTest {
  /** Above clamd's MaxFileSize below, so clamd reports Heuristics.Limits.Exceeded. */
  static final int CLAMD_MAX_FILE = 256 << 10;

  @TempDir static Path shared;
  static DemoClamd clamd;
  static CIcapServer icap;

  @TempDir Path tmp;

  @BeforeAll
  static void startDaemons() throws Exception {
    RequiredProgram.require("c-icap");
    RequiredProgram.require("clamd");
    RequiredProgram.require("sigtool");
    clamd = DemoClamd.builder(shared.resolve("clamd")).maxFileSize(CLAMD_MAX_FILE).start();
    try {
      icap = CIcapServer.builder(shared.resolve("c-icap"))
          .clamdSocket(clamd.socket())
          .maxObjectSize("1M")
          .start();
    } catch (Exception e) {
      clamd.close();
      throw e;
    }
  }

  @AfterAll
  static void stopDaemons() throws Exception {
    try {
      if (icap != null) {
        icap.close();
      }
    } finally {
      if (clamd != null) {
        clamd.close();
      }
    }
  }

  /** c-icap spools bodies to its TmpDir; nothing may stay there (NEGuard writes none itself). */
  @AfterEach
  void noTemporaryFilesLeft() throws Exception {
    if (icap == null) {
      return;
    }
    List<String> left = List.of();
    for (int i = 0; i < 50; i++) { // c-icap deletes a request's file just after answering
      try (Stream<Path> s = Files.list(icap.tmpDir())) {
        left = s.map(p -> p.getFileName().toString()).toList();
      }
      if (left.isEmpty()) {
        break;
      }
      Thread.sleep(20);
    }
    assertThat(left).as("files left in c-icap's TmpDir").isEmpty();
  }

  /**
   * virus_scan as docs/SCANNING-ENGINES.md requires it: every file type ({@code force=on}), no
   * size exemption ({@code sizelimit=off}: clamd's own limits, which alert, apply), no early
   * answer ({@code mode=simple}), 204 for clean. Debian's {@code avscan} alias is the same but
   * for {@code force=on}.
   */
  static final String RECOMMENDED = "virus_scan?" + CIcapServer.NEGUARD_ARGS;

  /** Through the alias the docs recommend ({@code ServiceAlias neguard virus_scan?...}). */
  private static IcapEngine engine() {
    return IcapEngine.fromSpec(icap.spec("neguard"));
  }

  /** virus_scan with c-icap's defaults: size and type exemptions, early answers. */
  private static IcapEngine bareEngine() {
    return IcapEngine.fromSpec(icap.spec("virus_scan"));
  }

  @Test
  @DisplayName("AV-3: describe gives c-icap's Service, version and ISTag; no database version")
  void describe_reportsServiceVersionAndIsTag_noDatabaseVersion() throws Exception {
    EngineInfo info = engine().describe();
    assertThat(info.kind()).isEqualTo("icap");
    assertThat(info.product()).contains("C-ICAP/").contains("Antivirus service");
    assertThat(info.engineVersion()).matches("C-ICAP/[0-9.]+, ISTag \\S+");
    // c-icap's virus_scan exposes clamd's versions in no header: the policy has to decide.
    assertThat(info.databaseVersion()).isNull();
    assertThat(info.databaseDate()).isNull();
    assertThat(info.endpoint()).isEqualTo(icap.spec("neguard"));
  }

  @Test
  @DisplayName("AV-1: a clean file is clean, EICAR and the marker are infected with clamd's names")
  void scan_cleanEicarMarker_cleanAndInfectedWithThreatNames() throws Exception {
    byte[] big = new byte[200_000]; // streamed after the preview, still below every limit
    new Random(1).nextBytes(big);
    List<FileResult> r = engine().scan(List.of(
        item("bin/clean", ascii("hello, world\n")),
        item("bin/eicar.com", ascii(DemoClamd.EICAR)),
        item("lib/libmarker.so", ascii("x".repeat(5000) + DemoClamd.MARKER)),
        item("data/random.bin", big),
        item("empty", new byte[0])), ProgressListener.NONE);
    assertThat(r).extracting(FileResult::path)
        .containsExactly("bin/clean", "bin/eicar.com", "lib/libmarker.so", "data/random.bin",
            "empty");
    assertThat(r.get(0).status()).as(r.get(0).toString()).isEqualTo(Status.CLEAN);
    assertThat(r.get(1).status()).isEqualTo(Status.INFECTED);
    assertThat(r.get(1).signature()).startsWith("NEGuard.Demo.EICAR");
    assertThat(r.get(2).signature()).startsWith("NEGuard.Demo.Marker");
    assertThat(r.get(3).status()).as(r.get(3).toString()).isEqualTo(Status.CLEAN);
    assertThat(r.get(4).status()).as(r.get(4).toString()).isEqualTo(Status.CLEAN);
  }

  @Test
  @DisplayName("AV-1: EICAR inside a zip inside a tar.gz is infected (clamd opens archives)")
  void scan_eicarInZipInTarGz_infected() throws Exception {
    FileResult r = engine().scan(List.of(item("opt/bundle.tar.gz", Archives.eicarInZipInTarGz())),
        ProgressListener.NONE).get(0);
    assertThat(r.status()).isEqualTo(Status.INFECTED);
    assertThat(r.signature()).startsWith("NEGuard.Demo.EICAR");
  }

  @Test
  @DisplayName("AV-1: an encrypted zip is not scanned (clamd's Heuristics.Encrypted via ICAP)")
  void scan_encryptedZip_notScanned() throws Exception {
    FileResult r = engine().scan(
        List.of(item("secret.zip", Archives.encryptedZip("x.bin", ascii("whatever")))),
        ProgressListener.NONE).get(0);
    assertThat(r.status()).as(r.toString()).isEqualTo(Status.NOT_SCANNED);
    assertThat(r.detail()).contains("Heuristics.Encrypted");
  }

  @Test
  @DisplayName("AV-1: a file over clamd's MaxFileSize is not scanned (Heuristics.Limits.Exceeded)")
  void scan_fileOverClamdMaxFileSize_notScanned() throws Exception {
    byte[] data = new byte[CLAMD_MAX_FILE + 100_000];
    new Random(2).nextBytes(data);
    FileResult r = engine().scan(List.of(item("big.bin", data)), ProgressListener.NONE).get(0);
    assertThat(r.status()).as(r.toString()).isEqualTo(Status.NOT_SCANNED);
    assertThat(r.detail()).contains("Heuristics.Limits.Exceeded");
    // c-icap's defaults commit to an answer early, then cut the content off unnamed: a finding.
    FileResult bare = bareEngine().scan(List.of(item("big.bin", data)), ProgressListener.NONE)
        .get(0);
    assertThat(bare.status()).as(bare.toString()).isNotEqualTo(Status.CLEAN);
  }

  @Test
  @DisplayName("AV-1: a file over c-icap's MaxObjectSize, passed back unscanned, is not scanned")
  void scan_fileOverCIcapMaxObjectSize_streamedAndNotScanned() throws Exception {
    long size = 5L << 20; // streamed from a generator: never held in memory
    ScanItem item = new ScanItem("huge.bin", size, () -> new InputStream() {
      long left = size;

      @Override
      public int read() {
        return left-- > 0 ? 'A' : -1;
      }

      @Override
      public int read(byte[] b, int off, int len) {
        if (left <= 0) {
          return -1;
        }
        int n = (int) Math.min(len, left);
        java.util.Arrays.fill(b, off, off + n, (byte) 'A');
        left -= n;
        return n;
      }
    });
    long[] progress = new long[1];
    FileResult r = bareEngine().scan(List.of(item), (done, total) -> progress[0] = done).get(0);
    assertThat(r.status()).as(r.toString()).isEqualTo(Status.NOT_SCANNED);
    assertThat(r.detail()).contains("unchanged instead of answering 204");
    assertThat(progress[0]).isEqualTo(size);
  }

  @Test
  @DisplayName("AV-1: a file type c-icap skips, answered 204 after the preview, is not scanned")
  void scan_fileTypeOutsideScanFileTypes_204AfterPreview_notScanned() throws Exception {
    byte[] png = new byte[4096];
    byte[] magic = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H',
        'D', 'R'};
    System.arraycopy(magic, 0, png, 0, magic.length);
    FileResult r = bareEngine().scan(List.of(item("share/logo.png", png)), ProgressListener.NONE)
        .get(0);
    assertThat(r.status()).as(r.toString()).isEqualTo(Status.NOT_SCANNED);
    assertThat(r.detail()).contains("204", "preview");
    // With force=on the same file is scanned in full, and clean.
    assertThat(engine().scan(List.of(item("share/logo.png", png)), ProgressListener.NONE).get(0)
        .status()).isEqualTo(Status.CLEAN);
  }

  @Test
  @DisplayName("AV-1: c-icap's type exemption is not scanned even for a file within the preview")
  void scan_smallFileOfSkippedType_bareNotScanned_recommendedArgsInfected() throws Exception {
    byte[] magic = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13, 'I', 'H',
        'D', 'R'};
    byte[] png = new byte[magic.length + DemoClamd.EICAR.length()];
    System.arraycopy(magic, 0, png, 0, magic.length);
    System.arraycopy(ascii(DemoClamd.EICAR), 0, png, magic.length, DemoClamd.EICAR.length());
    // Were the preview flagged as the whole file (ieof), c-icap's 204 would look clean here.
    FileResult bare = bareEngine().scan(List.of(item("logo.png", png)), ProgressListener.NONE)
        .get(0);
    assertThat(bare.status()).as(bare.toString()).isEqualTo(Status.NOT_SCANNED);
    assertThat(bare.detail()).contains("204", "preview");
    for (IcapEngine recommended : List.of(engine(),
        IcapEngine.fromSpec(icap.spec(RECOMMENDED)))) {
      FileResult r = recommended.scan(List.of(item("logo.png", png)), ProgressListener.NONE)
          .get(0);
      assertThat(r.status()).isEqualTo(Status.INFECTED);
      assertThat(r.signature()).startsWith("NEGuard.Demo.EICAR");
    }
  }

  @Test
  @DisplayName("AV-1: a wrong service name (c-icap: 404) is an engine error")
  void scan_wrongServiceName_404_engineError() {
    IcapEngine engine = IcapEngine.fromSpec(icap.spec("no_such_service"));
    assertThatThrownBy(() -> engine.scan(List.of(item("x", ascii("x"))), ProgressListener.NONE))
        .isInstanceOfSatisfying(RefusalException.class,
            e -> assertThat(e.code()).isEqualTo(ReasonCode.ENGINE_ERROR))
        .hasMessageContaining("404");
  }

  @Test
  @DisplayName("AV-1: c-icap not running is an unavailable engine")
  void scan_nothingListening_engineUnavailable() throws Exception {
    IcapEngine engine = IcapEngine.fromSpec(
        "icap://127.0.0.1:" + CIcapServer.freePort() + "/virus_scan");
    assertThatThrownBy(() -> engine.scan(List.of(item("x", ascii("x"))), ProgressListener.NONE))
        .isInstanceOfSatisfying(RefusalException.class,
            e -> assertThat(e.code()).isEqualTo(ReasonCode.ENGINE_UNAVAILABLE))
        .hasMessageContaining("refused");
    assertThatThrownBy(engine::describe).isInstanceOfSatisfying(RefusalException.class,
        e -> assertThat(e.code()).isEqualTo(ReasonCode.ENGINE_UNAVAILABLE));
  }

  @Test
  @DisplayName("AV-1: c-icap without a working engine answers 204 to everything: self-test refuses")
  void scan_cIcapWithoutEngine_selfTestFails_engineError() throws Exception {
    try (CIcapServer blind = CIcapServer.builder(tmp.resolve("blind"))
        .clamdSocket(tmp.resolve("no-clamd.sock")).start()) {
      IcapEngine engine = IcapEngine.fromSpec(blind.spec("virus_scan"));
      assertThatThrownBy(() -> engine.scan(List.of(item("x", ascii("x"))), ProgressListener.NONE))
          .isInstanceOfSatisfying(RefusalException.class,
              e -> assertThat(e.code()).isEqualTo(ReasonCode.ENGINE_ERROR))
          .hasMessageContaining("self-test")
          .hasMessageContaining("EICAR");
      assertThatThrownBy(engine::describe).hasMessageContaining("self-test");
      // Without the self-test, the blind service's 204 to the preview is still never clean.
      FileResult unchecked = IcapEngine.builder(blind.spec("virus_scan")).selfTest(false).build()
          .scan(List.of(item("e", ascii(DemoClamd.EICAR))), ProgressListener.NONE).get(0);
      assertThat(unchecked.status()).isEqualTo(Status.NOT_SCANNED);
    }
  }

  @Test
  @DisplayName("AV-1: clamd dying behind a running c-icap makes the scan an engine error")
  void scan_clamdDiesBehindCIcap_engineError() throws Exception {
    try (DemoClamd ownClamd = DemoClamd.builder(tmp.resolve("clamd")).start();
        CIcapServer ownIcap = CIcapServer.builder(tmp.resolve("c-icap"))
            .clamdSocket(ownClamd.socket()).start()) {
      IcapEngine engine = IcapEngine.fromSpec(ownIcap.spec(RECOMMENDED));
      assertThat(engine.scan(List.of(item("e", ascii(DemoClamd.EICAR))), ProgressListener.NONE)
          .get(0).status()).isEqualTo(Status.INFECTED);
      ownClamd.kill();
      // The self-test is what fails first; without it the file itself is refused the same way.
      assertThatThrownBy(() -> engine.scan(List.of(item("x", ascii("x"))), ProgressListener.NONE))
          .isInstanceOfSatisfying(RefusalException.class,
              e -> assertThat(e.code()).isEqualTo(ReasonCode.ENGINE_ERROR));
      IcapEngine unchecked = IcapEngine.builder(ownIcap.spec(RECOMMENDED)).selfTest(false).build();
      assertThatThrownBy(() -> unchecked.scan(List.of(item("x", ascii("some text"))),
          ProgressListener.NONE))
          .isInstanceOfSatisfying(RefusalException.class,
              e -> assertThat(e.code()).isEqualTo(ReasonCode.ENGINE_ERROR))
          .hasMessageContaining("500");
    }
  }

  @Test
  @DisplayName("AV-1: a peer answering 500 Server Error is an engine error")
  void scan_peerAnswers500_engineError() throws Exception {
    try (FakePeer peer = answering(
        "ICAP/1.0 500 Server Error\r\nEncapsulated: null-body=0\r\n\r\n")) {
      assertThatThrownBy(() -> IcapEngine.fromSpec(spec(peer))
          .scan(List.of(item("x", ascii("x"))), ProgressListener.NONE))
          .isInstanceOfSatisfying(RefusalException.class,
              e -> assertThat(e.code()).isEqualTo(ReasonCode.ENGINE_ERROR))
          .hasMessageContaining("500 Server Error");
    }
  }

  @Test
  @DisplayName("AV-1: a peer answering RESPMOD with 500 after a good OPTIONS is an engine error")
  void scan_respmodAnswered500_engineError() throws Exception {
    try (FakePeer peer = answering(OPTIONS,
        "ICAP/1.0 500 Server Error\r\nEncapsulated: null-body=0\r\n\r\n")) {
      assertThatThrownBy(() -> IcapEngine.builder(spec(peer)).selfTest(false).build()
          .scan(List.of(item("x", ascii("x"))), ProgressListener.NONE))
          .isInstanceOfSatisfying(RefusalException.class,
              e -> assertThat(e.code()).isEqualTo(ReasonCode.ENGINE_ERROR))
          .hasMessageContaining("RESPMOD with 500");
    }
  }

  @Test
  @DisplayName("AV-1: a peer answering garbage is an engine error")
  void scan_peerAnswersGarbage_engineError() throws Exception {
    try (FakePeer peer = answering("HTTP/1.1 200 OK\r\n\r\nhello")) {
      assertThatThrownBy(() -> IcapEngine.fromSpec(spec(peer)).describe())
          .isInstanceOfSatisfying(RefusalException.class,
              e -> assertThat(e.code()).isEqualTo(ReasonCode.ENGINE_ERROR))
          .hasMessageContaining("not an ICAP/1.0 status line");
    }
  }

  @Test
  @DisplayName("AV-1: a peer that never answers times out as an unavailable engine")
  void scan_peerSilent_timesOut_engineUnavailable() throws Exception {
    try (FakePeer peer = answering((String) null)) {
      IcapEngine engine = IcapEngine.builder(spec(peer))
          .readTimeout(Duration.ofMillis(500)).build();
      assertThatThrownBy(() -> engine.scan(List.of(item("x", ascii("x"))), ProgressListener.NONE))
          .isInstanceOfSatisfying(RefusalException.class,
              e -> assertThat(e.code()).isEqualTo(ReasonCode.ENGINE_UNAVAILABLE))
          .hasMessageContaining("did not answer in time");
    }
  }

  @Test
  @DisplayName("AV-1: a peer closing the connection mid-answer is an unavailable engine")
  void scan_peerClosesMidAnswer_engineUnavailable() throws Exception {
    try (FakePeer peer = answering(OPTIONS,
        "ICAP/1.0 200 OK\r\nISTag: \"x\"\r\nEncapsulated: res-hdr=0, res-body=19\r\n\r\n"
            + "HTTP/1.1 200 OK\r\n\r\n10\r\nabc")) {
      assertThatThrownBy(() -> IcapEngine.builder(spec(peer)).selfTest(false).build()
          .scan(List.of(item("x", ascii("x"))), ProgressListener.NONE))
          .isInstanceOfSatisfying(RefusalException.class,
              e -> assertThat(e.code()).isEqualTo(ReasonCode.ENGINE_UNAVAILABLE))
          .hasMessageContaining("closed the connection");
    }
  }

  @Test
  @DisplayName("AV-1: X-Virus-ID and a block page without a threat name are findings")
  void scan_peerBlocksWithVirusIdOrBlockPage_infected() throws Exception {
    String nope = "HTTP/1.1 403 Nope\r\n\r\n";
    String virusId = "ICAP/1.0 200 OK\r\nISTag: \"x\"\r\nX-Virus-ID: Acme.Trojan.42\r\n"
        + "Encapsulated: res-hdr=0, null-body=" + nope.length() + "\r\n\r\n" + nope;
    String forbidden = "HTTP/1.1 403 Forbidden\r\n\r\n";
    String blockPage = "ICAP/1.0 200 OK\r\nISTag: \"x\"\r\n"
        + "Encapsulated: res-hdr=0, res-body=" + forbidden.length() + "\r\n\r\n" + forbidden
        + "7\r\nblocked\r\n0\r\n\r\n";
    try (FakePeer peer = answering(OPTIONS, virusId, OPTIONS,
        blockPage)) {
      IcapEngine engine = IcapEngine.builder(spec(peer)).selfTest(false).build();
      FileResult first = engine.scan(List.of(item("a", ascii("a"))), ProgressListener.NONE)
          .get(0);
      assertThat(first.status()).isEqualTo(Status.INFECTED);
      assertThat(first.signature()).isEqualTo("Acme.Trojan.42");
      FileResult second = engine.scan(List.of(item("b", ascii("b"))), ProgressListener.NONE)
          .get(0);
      assertThat(second.status()).isEqualTo(Status.INFECTED);
      assertThat(second.signature()).isEqualTo("ICAP-Blocked");
      assertThat(second.detail()).contains("403 Forbidden");
    }
  }

  @Test
  @DisplayName("AV-1: specs are checked before anything is sent")
  void fromSpec_badSpecs_rejected() {
    for (String bad : List.of("icap://", "http://h:1344/x", "icap://h:1344", "icap://h:1344/",
        "icap://u@h:1344/x", "icap://h:1344/x#f")) {
      assertThatThrownBy(() -> IcapEngine.fromSpec(bad)).as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(IcapEngine.fromSpec("icap://gw.example/avscan?allow204=on").uri())
        .isEqualTo("icap://gw.example:1344/avscan?allow204=on");
  }

  @Test
  @DisplayName("AV-1: a file that grows or shrinks while it is sent to c-icap is IO_ERROR")
  void scan_fileChangesMidScan_ioErrorChanged() throws Exception {
    ChangingFile.assertEngineReportsChanges(engine(), tmp);
  }

  @Test
  @DisplayName("AV-1: a file that cannot be opened or read to its end is IO_ERROR, not the"
      + " engine's error")
  void scan_unreadableItem_ioErrorUnreadable() {
    UnreadableFile.assertEngineReportsUnreadable(engine());
  }

  static final String OPTIONS = "ICAP/1.0 200 OK\r\nMethods: RESPMOD\r\nISTag: \"fake-1\"\r\n"
      + "Service: Fake ICAP\r\nAllow: 204\r\nEncapsulated: null-body=0\r\n\r\n";

  /**
   * An ICAP peer whose n-th connection gets the n-th answer (the last one for all later): it
   * reads the request head, answers and hangs up. A null answer is a silent peer.
   */
  static FakePeer answering(String... answers) throws IOException {
    return FakePeer.loopback(n -> {
      String answer = answers[Math.min(n, answers.length - 1)];
      return answer == null ? FakePeer.SILENT : s -> {
        FakePeer.readThrough(s.getInputStream(), "\r\n\r\n");
        FakePeer.write(s, answer);
        s.shutdownOutput();
        s.getInputStream().skip(1 << 20);
      };
    });
  }

  static String spec(FakePeer peer) {
    return "icap://127.0.0.1:" + peer.port() + "/avscan";
  }
}

package org.neguard.av;

import org.neguard.demo.DemoClamd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.progress.ProgressListener;
import org.neguard.testing.FakePeer;
import org.neguard.testing.RequiredProgram;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * clamd absent, crashing, misconfigured or answering nonsense (AV-1): each is a refusal with no
 * results at all, never a clean verdict. The crash and the misconfiguration use a real clamd; a
 * peer that answers garbage or nothing is a {@link FakePeer}, because that fault is the
 * peer's and a real clamd cannot be made to commit it.
 */
class ClamdFaultTest {
  @TempDir Path tmp;

  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  private static final List<ScanItem> ITEMS =
      List.of(ClamdEngineTest.item("etc/a.conf", ClamdEngineTest.ascii("a=1\n")),
          ClamdEngineTest.item("bin/tool", ClamdEngineTest.ascii("#!/bin/sh\n")));

  private static RefusalException refused(ThrowingCall call, ReasonCode code) {
    try {
      call.run();
    } catch (RefusalException e) {
      assertThat(e.code()).as(e.getMessage()).isEqualTo(code);
      assertThat(e.getMessage()).doesNotContain("Exception");
      return e;
    } catch (Exception e) {
      throw new AssertionError("expected a RefusalException " + code + ", got " + e, e);
    }
    throw new AssertionError("expected a RefusalException " + code + ", got a result");
  }

  @FunctionalInterface
  interface ThrowingCall {
    void run() throws Exception;
  }

  // ------------------------------------------------------------------ clamd not running

  @Test
  @DisplayName("AV-1: clamd not running on TCP (connection refused) is ENGINE_UNAVAILABLE")
  void scan_clamdNotRunningTcp_engineUnavailable() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    ClamdEngine engine = ClamdEngine.fromSpec("clamd:tcp://127.0.0.1:" + port);

    RefusalException e = refused(() -> engine.scan(ITEMS, ProgressListener.NONE),
        ReasonCode.ENGINE_UNAVAILABLE);
    assertThat(e.getMessage()).contains("127.0.0.1:" + port).contains("is clamd running");
    refused(engine::describe, ReasonCode.ENGINE_UNAVAILABLE);
  }

  @Test
  @DisplayName("AV-1: clamd not running on a Unix socket (no such socket) is ENGINE_UNAVAILABLE")
  void scan_clamdNotRunningUnix_engineUnavailable() {
    ClamdEngine engine = ClamdEngine.fromSpec("clamd:unix:" + tmp.resolve("clamd.sock"));

    RefusalException e = refused(() -> engine.scan(ITEMS, ProgressListener.NONE),
        ReasonCode.ENGINE_UNAVAILABLE);
    assertThat(e.getMessage()).contains(tmp.resolve("clamd.sock").toString());
    refused(engine::describe, ReasonCode.ENGINE_UNAVAILABLE);
  }

  // ------------------------------------------------------------------ real clamd, faulty

  @Test
  @DisplayName("AV-1: clamd killed while a large file streams is ENGINE_UNAVAILABLE, no results")
  void scan_clamdDiesMidStream_engineUnavailable() throws Exception {
    requireClamd();
    DemoClamd clamd = DemoClamd.builder(tmp.resolve("clamd")).start();
    toClose.add(clamd);
    long size = 96L << 20; // under clamd's default limits the engine assumes
    ScanItem large = new ScanItem("opt/rootfs.img", size, () -> new Endless(size));
    AtomicBoolean killed = new AtomicBoolean();
    ProgressListener killAfter8MiB =
        (done, total) -> {
          if (done > (8 << 20) && killed.compareAndSet(false, true)) {
            try {
              clamd.kill();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
        };
    List<ScanItem> items = new ArrayList<>(ITEMS);
    items.add(large);

    RefusalException e =
        refused(() -> ClamdEngine.fromSpec(clamd.unixSpec()).scan(items, killAfter8MiB),
            ReasonCode.ENGINE_UNAVAILABLE);

    assertThat(killed).isTrue();
    assertThat(e.getMessage()).contains("did clamd stop or crash");
  }

  @Test
  @DisplayName("AV-1: clamd with AlertEncrypted no (would pass encrypted archives) is ENGINE_ERROR")
  void scan_clamdWithoutAlertEncrypted_engineError() throws Exception {
    requireClamd();
    DemoClamd clamd = DemoClamd.builder(tmp.resolve("clamd")).alertEncrypted(false).start();
    toClose.add(clamd);

    RefusalException e =
        refused(() -> ClamdEngine.fromSpec(clamd.tcpSpec()).scan(ITEMS, ProgressListener.NONE),
            ReasonCode.ENGINE_ERROR);

    assertThat(e.getMessage()).contains("AlertEncrypted yes");
  }

  // ------------------------------------------------------------------ a peer that is not clamd

  @Test
  @DisplayName("AV-1: a peer answering garbage to VERSION and INSTREAM is ENGINE_ERROR")
  void scanAndDescribe_garbageReply_engineError() throws Exception {
    FakePeer peer = peer(n -> Answer.reply("HTTP/1.0 400 Bad Request\r\n\r\n\0"));

    refused(() -> engine(peer, "").describe(), ReasonCode.ENGINE_ERROR);
    RefusalException e =
        refused(() -> engine(peer, "").scan(ITEMS, ProgressListener.NONE), ReasonCode.ENGINE_ERROR);
    assertThat(e.getMessage()).contains("HTTP/1.0 400");
  }

  @Test
  @DisplayName("AV-1: garbage for a file in the session (after a good probe answer) is ENGINE_ERROR")
  void scan_garbageReplyInSession_engineError() throws Exception {
    FakePeer peer =
        peer(n -> n == 0
            ? Answer.reply("stream: Heuristics.Encrypted.Zip FOUND\0")
            : Answer.reply("1: stream: MAYBE\0"));

    RefusalException e =
        refused(() -> engine(peer, "&connections=1").scan(ITEMS, ProgressListener.NONE),
            ReasonCode.ENGINE_ERROR);
    assertThat(e.getMessage()).contains("MAYBE").contains("bin/tool"); // largest first
  }

  @Test
  @DisplayName("AV-1: a reply for another request id of the session is ENGINE_ERROR")
  void scan_replyWithWrongSessionId_engineError() throws Exception {
    FakePeer peer =
        peer(n -> n == 0
            ? Answer.reply("stream: Heuristics.Encrypted.Zip FOUND\0")
            : Answer.reply("7: stream: OK\0"));

    RefusalException e =
        refused(() -> engine(peer, "&connections=1").scan(ITEMS, ProgressListener.NONE),
            ReasonCode.ENGINE_ERROR);
    assertThat(e.getMessage()).contains("not a reply to a request of its session");
  }

  @Test
  @DisplayName("AV-1: clamd's own ERROR reply (not the size limit) is ENGINE_ERROR")
  void scan_clamdErrorReply_engineError() throws Exception {
    FakePeer peer =
        peer(n -> n == 0
            ? Answer.reply("stream: Heuristics.Encrypted.Zip FOUND\0")
            : Answer.reply("1: Error processing command. ERROR\0"));

    RefusalException e =
        refused(() -> engine(peer, "&connections=1").scan(ITEMS, ProgressListener.NONE),
            ReasonCode.ENGINE_ERROR);
    assertThat(e.getMessage()).contains("Error processing command. ERROR");
  }

  @Test
  @DisplayName("AV-1: an endless reply without its end is ENGINE_ERROR, memory bounded")
  void describe_endlessReply_engineError() throws Exception {
    FakePeer peer = peer(n -> Answer.reply("A".repeat(100_000)));

    refused(() -> engine(peer, "").describe(), ReasonCode.ENGINE_ERROR);
  }

  @Test
  @DisplayName("AV-1: a peer that never answers is ENGINE_UNAVAILABLE after the read timeout")
  void scanAndDescribe_silentPeer_engineUnavailableAfterTimeout() throws Exception {
    FakePeer peer = peer(n -> Answer.SILENCE);
    Instant start = Instant.now();

    RefusalException e = refused(() -> engine(peer, "").describe(), ReasonCode.ENGINE_UNAVAILABLE);
    assertThat(e.getMessage()).contains("sent nothing for 500 ms");
    refused(() -> engine(peer, "").scan(ITEMS, ProgressListener.NONE), ReasonCode.ENGINE_UNAVAILABLE);

    assertThat(Duration.between(start, Instant.now())).isLessThan(Duration.ofSeconds(10));
  }

  @Test
  @DisplayName("AV-1: a peer that closes the connection without a word is ENGINE_UNAVAILABLE")
  void scan_peerHangsUp_engineUnavailable() throws Exception {
    FakePeer peer = peer(n -> Answer.HANG_UP);

    refused(() -> engine(peer, "").describe(), ReasonCode.ENGINE_UNAVAILABLE);
    refused(() -> engine(peer, "").scan(ITEMS, ProgressListener.NONE), ReasonCode.ENGINE_UNAVAILABLE);
  }

  @Test
  @DisplayName("AV-1: a peer that takes no data while a file streams is ENGINE_UNAVAILABLE")
  void scan_peerStopsReading_engineUnavailable() throws Exception {
    FakePeer peer =
        peer(n -> n == 0 ? Answer.reply("stream: Heuristics.Encrypted.Zip FOUND\0") : Answer.STALL);
    long size = 64L << 20;
    ScanItem large = new ScanItem("opt/rootfs.img", size, () -> new Endless(size));

    RefusalException e =
        refused(() -> engine(peer, "&connections=1").scan(List.of(large), ProgressListener.NONE),
            ReasonCode.ENGINE_UNAVAILABLE);
    assertThat(e.getMessage()).contains("took no data");
  }

  // ------------------------------------------------------------------ helpers

  private static void requireClamd() {
    RequiredProgram.require("clamd");
    RequiredProgram.require("sigtool");
  }

  private FakePeer peer(IntFunction<Answer> script) throws IOException {
    FakePeer p = FakePeer.loopback(n -> conversation(script.apply(n)));
    toClose.add(p);
    return p;
  }

  /** What the fake peer does on its n-th connection. */
  record Answer(String text, boolean hangUp, boolean stall) {
    static final Answer SILENCE = new Answer(null, false, false);
    static final Answer HANG_UP = new Answer(null, true, false);
    static final Answer STALL = new Answer(null, false, true);

    static Answer reply(String text) {
      return new Answer(text, false, false);
    }
  }

  /** Reads the command up to its NUL, then answers per {@code a} and keeps draining. */
  private static FakePeer.Conversation conversation(Answer a) {
    return s -> {
      InputStream in = s.getInputStream();
      FakePeer.readThrough(in, "\0");
      if (a.hangUp()) {
        return;
      }
      if (a.stall()) {
        Thread.sleep(5_000);
        return;
      }
      if (a.text() != null) {
        FakePeer.write(s, a.text());
      }
      in.transferTo(OutputStream.nullOutputStream());
    };
  }

  private static ClamdEngine engine(FakePeer peer, String extraOptions) {
    return ClamdEngine.fromSpec("clamd:tcp://127.0.0.1:" + peer.port()
        + "?readTimeout=500ms&connectTimeout=2s" + extraOptions);
  }

  /** {@code size} bytes of a repeating pattern, without holding them in memory. */
  static final class Endless extends InputStream {
    private long left;

    Endless(long size) {
      this.left = size;
    }

    @Override
    public int read() {
      if (left <= 0) {
        return -1;
      }
      left--;
      return 'a' + (int) (left % 26);
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (left <= 0) {
        return -1;
      }
      int n = (int) Math.min(len, left);
      for (int i = 0; i < n; i++) {
        b[off + i] = (byte) ('a' + (int) ((left - i) % 26));
      }
      left -= n;
      return n;
    }
  }
}

package org.neguard.av;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.demo.DemoClamd;
import org.neguard.progress.ProgressListener;
import org.neguard.scanreport.FileResult;
import org.neguard.testing.RequiredProgram;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/**
 * Pipelined sessions against a real clamd (AV-1): many files in flight on several connections at
 * once must still give one result per file, each the result of that file, and a session clamd
 * drops with files still unanswered must fail the whole scan, never leave a hole or a guess.
 */
class ClamdPipelineTest {
  @TempDir static Path shared;

  private static DemoClamd clamd;

  @BeforeAll
  static void startClamd() throws Exception {
    RequiredProgram.require("clamd");
    RequiredProgram.require("sigtool");
    clamd = DemoClamd.builder(shared.resolve("clamd")).start();
  }

  @AfterAll
  static void stopClamd() throws IOException {
    if (clamd != null) {
      clamd.close();
    }
  }

  /** 1200 files of mixed sizes; the one at {@code infected} carries the demo EICAR. */
  private static List<ScanItem> files(int infected) {
    List<ScanItem> items = new ArrayList<>();
    for (int i = 0; i < 1200; i++) {
      long size = i % 150 == 7 ? (1 << 20) + i : 1 + (i * 7919L) % 24_000;
      String tail = i == infected ? DemoClamd.EICAR : "";
      items.add(ClamdEngineTest.item("f/" + i, ClamdEngineTest.filler(size + tail.length(), tail)));
    }
    return items;
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "?connections=1&pipeline=64", "?connections=4&pipeline=16",
      "?connections=3&pipeline=1"})
  @DisplayName("AV-1: 1200 files pipelined over parallel sessions, one infected in the middle:"
      + " one result per file, in order, INFECTED names that file and no other")
  void scan_manyFilesPipelined_infectedInTheMiddleNamedAndEveryFileAnswered(String options)
      throws Exception {
    int infected = 613; // mid-sized: in the middle of the largest-first sending order too
    List<ScanItem> items = files(infected);

    List<FileResult> r =
        ClamdEngine.fromSpec(clamd.unixSpec() + options).scan(items, ProgressListener.NONE);

    assertThat(r).hasSameSizeAs(items);
    assertThat(r).extracting(FileResult::path)
        .containsExactlyElementsOf(items.stream().map(ScanItem::path).toList());
    for (int i = 0; i < r.size(); i++) {
      if (i == infected) {
        assertThat(r.get(i).status()).as(r.get(i).path()).isEqualTo(FileResult.Status.INFECTED);
        assertThat(r.get(i).signature()).contains("NEGuard.Demo.EICAR");
      } else {
        assertThat(r.get(i).status()).as(r.get(i).path()).isEqualTo(FileResult.Status.CLEAN);
      }
    }
  }

  @Test
  @DisplayName("AV-1: clamd's connection dropped mid-session, replies still owed: ENGINE_UNAVAILABLE,"
      + " no results, though every other session completes")
  void scan_sessionDroppedMidScan_engineUnavailable() throws Exception {
    try (CuttingProxy proxy = new CuttingProxy(clamd.port(), 1)) {
      String spec = "clamd:tcp://127.0.0.1:" + proxy.port() + "?connections=2&readTimeout=20s";

      assertThatThrownBy(() -> ClamdEngine.fromSpec(spec).scan(files(-1), ProgressListener.NONE))
          .isInstanceOfSatisfying(RefusalException.class, e -> {
            assertThat(e.code()).as(e.getMessage()).isEqualTo(ReasonCode.ENGINE_UNAVAILABLE);
            assertThat(e.getMessage()).contains("did clamd stop or crash");
          });
      assertThat(proxy.cut).as("the proxy cut a session").isTrue();
    }
  }

  @Test
  @DisplayName("AV-1: without the cut, the same scan through the same proxy is clean (the proxy is"
      + " not what fails)")
  void scan_throughProxyWithoutCut_clean() throws Exception {
    try (CuttingProxy proxy = new CuttingProxy(clamd.port(), -1)) {
      String spec = "clamd:tcp://127.0.0.1:" + proxy.port() + "?connections=2";

      List<FileResult> r = ClamdEngine.fromSpec(spec).scan(files(-1), ProgressListener.NONE);

      assertThat(r).hasSize(1200).allMatch(f -> f.status() == FileResult.Status.CLEAN);
    }
  }

  /**
   * A loopback TCP proxy to clamd that, on its {@code cutConnection}-th connection (from 0: the
   * engine's encryption probe is connection 0, its sessions follow), closes both sides as soon
   * as it has passed on clamd's first reply bytes: what a clamd that crashes or restarts in the
   * middle of one session looks like, while its other sessions go on.
   */
  private static final class CuttingProxy implements AutoCloseable {
    private final ServerSocket server;
    private final int target;
    private final int cutConnection;
    private final AtomicInteger accepted = new AtomicInteger();
    private final List<Socket> sockets = new ArrayList<>();
    volatile boolean cut;

    CuttingProxy(int target, int cutConnection) throws IOException {
      this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      this.target = target;
      this.cutConnection = cutConnection;
      Thread t = new Thread(this::accept, "cutting-proxy");
      t.setDaemon(true);
      t.start();
    }

    int port() {
      return server.getLocalPort();
    }

    private void accept() {
      try {
        while (true) {
          Socket client = server.accept();
          Socket upstream = new Socket(InetAddress.getLoopbackAddress(), target);
          synchronized (sockets) {
            sockets.add(client);
            sockets.add(upstream);
          }
          boolean cutThis = accepted.getAndIncrement() == cutConnection;
          pump(client.getInputStream(), upstream, false, client, upstream);
          pump(upstream.getInputStream(), client, cutThis, client, upstream);
        }
      } catch (IOException e) {
        // closed
      }
    }

    /**
     * Copies {@code in} to {@code to}; with {@code cutAfterFirst}, closes both sockets after the
     * first bytes passed.
     */
    private void pump(InputStream in, Socket to, boolean cutAfterFirst, Socket a, Socket b) {
      Thread t = new Thread(() -> {
        byte[] buf = new byte[64 << 10];
        try {
          OutputStream out = to.getOutputStream();
          int n;
          while ((n = in.read(buf)) > 0) {
            out.write(buf, 0, n);
            out.flush();
            if (cutAfterFirst) {
              cut = true;
              a.close();
              b.close();
              return;
            }
          }
          to.shutdownOutput();
        } catch (IOException e) {
          // the other side closed
        }
      }, "cutting-proxy-pump");
      t.setDaemon(true);
      t.start();
    }

    @Override
    public void close() throws IOException {
      server.close();
      synchronized (sockets) {
        for (Socket s : sockets) {
          s.close();
        }
      }
    }
  }
}

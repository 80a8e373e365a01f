package org.neguard.harden.nmap;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.neguard.testing.RequiredProgram;

/**
 * Runs the real nmap against 127.0.0.1 only, and a loopback listener that speaks like an SSH
 * server so that nmap's service detection identifies it. Test helper.
 */
final class NmapRun {
  private NmapRun() {}

  /** A TCP listener on 127.0.0.1 that greets every connection with an SSH banner. */
  static final class SshLikeListener implements AutoCloseable {
    private final ServerSocket server;
    private final Thread thread;

    SshLikeListener() throws IOException {
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      thread = new Thread(this::serve, "ssh-like-listener");
      thread.setDaemon(true);
      thread.start();
    }

    int port() {
      return server.getLocalPort();
    }

    private void serve() {
      while (!server.isClosed()) {
        try (Socket s = server.accept()) {
          s.setSoTimeout(2000);
          OutputStream out = s.getOutputStream();
          out.write("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n".getBytes(StandardCharsets.US_ASCII));
          out.flush();
          // Wait briefly for the client so nmap's probe sees a live service, then close.
          s.getInputStream().read(new byte[256]);
        } catch (IOException e) {
          // A probe that hangs up, or the listener closing: next connection.
        }
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
      try {
        thread.join(5000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Runs {@code nmap ARGS -oX out 127.0.0.1} and returns the XML file. */
  static Path scanLoopback(Path out, String... args) throws IOException, InterruptedException {
    String nmap = RequiredProgram.require("nmap").toString();
    List<String> cmd = new ArrayList<>(List.of(nmap));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("-oX", out.toString(), "127.0.0.1"));
    Path log = Files.createTempFile(out.getParent(), "nmap", ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
        .start();
    try {
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        throw new AssertionError("nmap did not finish in 120 s: " + cmd);
      }
      if (p.exitValue() != 0) {
        throw new AssertionError("nmap failed (" + p.exitValue() + "): " + cmd + "\n"
            + Files.readString(log));
      }
      return out;
    } finally {
      p.destroyForcibly();
      Files.deleteIfExists(log);
    }
  }

  static boolean root() {
    return "root".equals(System.getProperty("user.name"));
  }
}

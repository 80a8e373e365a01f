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
import org.neguard.testing.FakePeer;
import org.neguard.testing.RequiredProgram;

/**
 * Runs the real nmap against 127.0.0.1 only, and a loopback peer that speaks like an SSH server so that nmap's service detection identifies it. Test helper.
 */
final class NmapRun {
  private NmapRun() {}

  /** A TCP listener on 127.0.0.1 that greets every connection with an SSH banner. */
  static FakePeer sshLikeListener() throws IOException {
    return FakePeer.always(FakePeer.banner("SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n"));
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

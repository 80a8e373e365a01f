package org.neguard.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.testing.RequiredProgram;

/** The private clamd the quickstart and the anti-virus tests rely on (AV-1). */
class DemoClamdTest {
  @TempDir Path tmp;

  @Test
  void start_reportsDemoDatabaseVersionAndBackdatedBuildTime_andCloseRemovesEverything()
      throws Exception {
    RequiredProgram.require("clamd");
    RequiredProgram.require("sigtool");
    Path dir = tmp.resolve("clamd");
    long pid;
    try (DemoClamd clamd =
        DemoClamd.builder(dir)
            .databaseVersion(77)
            .databaseBuilt(Instant.parse("2020-02-03T04:05:06Z"))
            .start()) {
      pid = clamd.pid();
      String version = command(clamd.socket(), "zVERSION\0");
      assertThat(version).matches("ClamAV [0-9.]+/77/.*2020\0");
      String eicar = command(clamd.socket(), "zPING\0");
      assertThat(eicar).isEqualTo("PONG\0");
    }
    assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive)).isNotEqualTo(java.util.Optional.of(true));
    assertThat(Files.exists(dir)).isFalse();
  }

  private static String command(Path socket, String command) throws Exception {
    try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      ch.connect(UnixDomainSocketAddress.of(socket));
      ch.write(ByteBuffer.wrap(command.getBytes(StandardCharsets.US_ASCII)));
      ch.shutdownOutput();
      try (InputStream in = Channels.newInputStream(ch)) {
        return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
      }
    }
  }
}

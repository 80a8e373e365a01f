package org.neguard.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The client reads a server's answer no further than its limit (a hostile or wrong server). */
class ServerClientLimitTest {
  @Test
  @DisplayName("SRC-1: an endless answer is refused at the limit, not read until memory runs out")
  void login_endlessAnswer_refusedAtLimit(@TempDir Path dir) throws Exception {
    AtomicLong sent = new AtomicLong();
    HttpServer server = HttpServer.create(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", exchange -> {
      exchange.getRequestBody().readAllBytes();
      exchange.sendResponseHeaders(200, 0); // chunked, no length: as long as the server likes
      byte[] chunk = new byte[1 << 20];
      Arrays.fill(chunk, (byte) ' ');
      try (OutputStream out = exchange.getResponseBody()) {
        for (int i = 0; i < 1024; i++) { // a GiB, unless the client hangs up first
          out.write(chunk);
          sent.addAndGet(chunk.length);
        }
      } catch (java.io.IOException clientHungUp) {
        // expected: the client cancels past its limit
      }
    });
    server.start();
    try {
      Path pw = Files.writeString(dir.resolve("pw"), "not-a-real-password\n");
      String url = "http://127.0.0.1:" + server.getAddress().getPort();
      CliRun r = ServerCliTest.cli(dir.resolve("config"), "login", "--server", url, "--user",
          "admin", "--password-file", pw.toString(), "--json");
      assertThat(r.exit()).as("%s", r).isEqualTo(1);
      JsonNode reason = r.json().path("reasons").path(0);
      assertThat(reason.path("code").asText()).isEqualTo("BAD_INPUT");
      assertThat(reason.path("message").asText()).contains("larger than 16 MiB");
      assertThat(sent.get()).isLessThan(512L << 20);
    } finally {
      server.stop(0);
    }
  }
}

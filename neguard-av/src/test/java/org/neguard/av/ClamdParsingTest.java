package org.neguard.av;

import org.neguard.scanreport.FileResult;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/** Engine specs and clamd's replies, read exactly or refused (AV-1, AV-3). */
class ClamdParsingTest {

  // ------------------------------------------------------------------ specs

  @Test
  void fromSpec_tcpAndUnix_endpointsAndOptions() {
    assertThat(ClamdEngine.fromSpec("clamd:tcp://127.0.0.1:3310").endpoint())
        .isEqualTo(ClamdEndpoint.tcp("127.0.0.1", 3310));
    assertThat(ClamdEngine.fromSpec("clamd:tcp://[::1]:3310").endpoint().toString())
        .isEqualTo("tcp://[::1]:3310");
    assertThat(ClamdEngine.fromSpec("clamd:unix:/run/clamav/clamd.ctl").endpoint())
        .isEqualTo(ClamdEndpoint.unix(Path.of("/run/clamav/clamd.ctl")));
    assertThat(ClamdEngine.fromSpec("clamd:unix:///run/clamd.sock").endpoint().toString())
        .isEqualTo("unix:/run/clamd.sock");
    assertThat(ClamdEngine.fromSpec(
            "clamd:tcp://localhost:3310?connectTimeout=2s&readTimeout=5m&connections=8"
                + "&maxFileSize=400M&streamMaxLength=1G&zone=Europe/Berlin").toString())
        .isEqualTo("clamd:tcp://localhost:3310");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "tcp://127.0.0.1:3310|not a clamd engine spec",
    "clamd:127.0.0.1:3310|must start with tcp:// or unix:",
    "clamd:tcp://127.0.0.1|the port is missing",
    "clamd:tcp://127.0.0.1:0|outside 1..65535: 0",
    "clamd:tcp://127.0.0.1:70000|outside 1..65535: 70000",
    "clamd:tcp://127.0.0.1:33x|not a number: '33x'",
    "clamd:tcp://:3310|the host is missing",
    "clamd:tcp://::1:3310|needs brackets",
    "clamd:tcp://user@host:3310|the host is missing or invalid",
    "clamd:unix:|the socket path is missing",
    "clamd:unix:run/clamd.sock|must be absolute",
    "clamd:tcp://h:1?connections=0|connections outside 1..64: 0",
    "clamd:tcp://h:1?readTimeout=5|needs a unit",
    "clamd:tcp://h:1?readTimeout=0s|readTimeout <= 0",
    "clamd:tcp://h:1?maxFileSize=lots|not a size",
    "clamd:tcp://h:1?zone=Mars/Olympus|bad option 'zone=Mars/Olympus'",
    "clamd:tcp://h:1?colour=blue|unknown option",
    "clamd:tcp://h:1?maxFileSize|use name=value",
  })
  @DisplayName("a bad engine spec is refused with a message naming what is wrong")
  void fromSpec_badSpec_refusedWithMessage(String spec, String message) {
    assertThatThrownBy(() -> ClamdEngine.fromSpec(spec))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }

  @Test
  void sizesAndDurations_clamdConfUnits() {
    assertThat(ClamdEngine.size("400M")).isEqualTo(400L << 20);
    assertThat(ClamdEngine.size("4k")).isEqualTo(4096);
    assertThat(ClamdEngine.size("2G")).isEqualTo(2L << 30);
    assertThat(ClamdEngine.size("123")).isEqualTo(123);
    assertThat(ClamdEngine.duration("250ms").toMillis()).isEqualTo(250);
    assertThat(ClamdEngine.duration("3m").toSeconds()).isEqualTo(180);
  }

  // ------------------------------------------------------------------ VERSION

  @Test
  @DisplayName("AV-3: VERSION with a database gives its version and date (day padded as ctime does)")
  void parseVersion_withDatabase() throws Exception {
    ClamdReplies.Version v =
        ClamdReplies.parseVersion("ClamAV 1.4.6/27000/Tue Nov  3 10:00:00 2026", ZoneOffset.UTC);

    assertThat(v.engineVersion()).isEqualTo("1.4.6");
    assertThat(v.databaseVersion()).isEqualTo("27000");
    assertThat(v.databaseDate()).isEqualTo(Instant.parse("2026-11-03T10:00:00Z"));
    assertThat(ClamdReplies.parseVersion("ClamAV 1.4.6/27000/Mon Nov 23 10:00:00 2026",
            ZoneId.of("Europe/Berlin")).databaseDate())
        .isEqualTo(Instant.parse("2026-11-23T09:00:00Z"));
  }

  @Test
  @DisplayName("AV-3: VERSION without a database part gives null database fields (the policy refuses them)")
  void parseVersion_withoutDatabase_nullFields() throws Exception {
    ClamdReplies.Version v = ClamdReplies.parseVersion("ClamAV 1.4.6", ZoneOffset.UTC);

    assertThat(v.engineVersion()).isEqualTo("1.4.6");
    assertThat(v.databaseVersion()).isNull();
    assertThat(v.databaseDate()).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "", "PONG", "ClamAV", "ClamAV /1/Mon Nov 23 10:00:00 2026", "clamav 1.4.6",
    "ClamAV 1.4.6/x/Mon Nov 23 10:00:00 2026", "ClamAV 1.4.6/1/yesterday",
    "ClamAV 1.4.6/1/Tue Nov 23 10:00:00 2026", // wrong weekday: not a real ctime
    "ClamAV 1.4.6/27000/Mon Nov 23 10:00:00 2026 extra",
  })
  @DisplayName("AV-3: a VERSION reply not of clamd's form is ENGINE_ERROR")
  void parseVersion_garbage_engineError(String reply) {
    assertThatThrownBy(() -> ClamdReplies.parseVersion(reply, ZoneOffset.UTC))
        .isInstanceOfSatisfying(RefusalException.class,
            e -> assertThat(e.code()).isEqualTo(ReasonCode.ENGINE_ERROR));
  }

  // ------------------------------------------------------------------ INSTREAM replies

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "stream: OK|CLEAN|",
    "stream: Eicar-Test-Signature FOUND|INFECTED|Eicar-Test-Signature",
    "stream: Win.Trojan.Agent-123.UNOFFICIAL FOUND|INFECTED|Win.Trojan.Agent-123.UNOFFICIAL",
    "stream: Heuristics.Limits.Exceeded.MaxFileSize FOUND|NOT_SCANNED|",
    "stream: Heuristics.Limits.Exceeded.MaxRecursion FOUND|NOT_SCANNED|",
    "stream: Heuristics.Limits.Exceeded.MaxScanTime FOUND|NOT_SCANNED|",
    "stream: Heuristics.Encrypted.Zip FOUND|NOT_SCANNED|",
    "stream: Heuristics.Encrypted.PDF FOUND|NOT_SCANNED|",
    "INSTREAM size limit exceeded. ERROR|NOT_SCANNED|",
  })
  @DisplayName("AV-1: each INSTREAM reply maps to exactly one result; skipped content is never clean")
  void parseScan_replies(String reply, FileResult.Status status, String signature)
      throws Exception {
    FileResult r = ClamdReplies.parseScan("lib/x.so", reply);

    assertThat(r.status()).isEqualTo(status);
    assertThat(r.signature()).isEqualTo(signature);
    if (status == FileResult.Status.NOT_SCANNED) {
      assertThat(r.detail()).isNotBlank();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {
    "", "OK", "stream: ok", "stream:OK", "stream: FOUND", "stream: two words FOUND",
    "stream: OK extra", "lstat() failed: No such file or directory. ERROR",
    "Error processing command. ERROR", "COMMAND READ TIMED OUT", "UNKNOWN COMMAND",
  })
  @DisplayName("AV-1: an error or unknown INSTREAM reply is ENGINE_ERROR, never a result")
  void parseScan_errorOrGarbage_engineError(String reply) {
    assertThatThrownBy(() -> ClamdReplies.parseScan("lib/x.so", reply))
        .isInstanceOfSatisfying(RefusalException.class,
            e -> assertThat(e.code()).isEqualTo(ReasonCode.ENGINE_ERROR));
  }
}

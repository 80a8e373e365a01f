package org.neguard.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code neguard audit}: read, verify and export the server's hash-chained audit log (SRC-3). */
@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description = {
      "The OAM server's audit log (admin, auditor): every login, refusal, account change and "
          + "upload, each row chained to the previous one by SHA-256."
    },
    subcommands = {AuditCommand.ListRows.class, AuditCommand.Verify.class,
        AuditCommand.Export.class})
final class AuditCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(),
        "give an audit command: list, verify or export");
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "Show audit rows (default: the last 50).")
  static final class ListRows extends UserCommand.Base {
    @Option(names = "--after", paramLabel = "SEQ",
        description = "Rows after this number, oldest first (instead of the last ones).")
    Long after;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "50",
        description = "At most N rows (default: ${DEFAULT-VALUE}).")
    int limit;

    @Override
    public Integer call() throws Exception {
      String q = after == null ? "?tail=true&limit=" + limit : "?after=" + after + "&limit=" + limit;
      JsonNode rows = client.client().get("/api/audit" + q);
      StringBuilder text = new StringBuilder();
      for (JsonNode r : rows) {
        if (text.length() > 0) {
          text.append('\n');
        }
        text.append(String.format("%6d %s %-12s %-16s %-8s %s  %s", r.path("seq").asLong(),
            r.path("occurredAt").asText(), Output.printable(r.path("actor").asText()),
            r.path("action").asText(), r.path("outcome").asText(),
            Output.printable(r.path("target").asText()),
            Output.printable(r.path("detail").asText())));
      }
      return output().done(text.length() == 0 ? "(no rows)" : text.toString(),
          Map.of("rows", rows));
    }
  }

  @Command(name = "verify", mixinStandardHelpOptions = true,
      description = "Recompute the hash chain on the server: exit 0 intact, 3 with the first"
          + " altered or deleted row named.")
  static final class Verify extends UserCommand.Base {
    @Override
    public Integer call() throws Exception {
      JsonNode v = client.client().get("/api/audit/verify");
      if (!v.path("intact").asBoolean()) {
        long seq = v.path("firstBadSeq").asLong();
        throw new RefusalException(Reason.about(ReasonCode.AUDIT_CHAIN_BROKEN, "row " + seq,
            "the audit log was tampered with: " + v.path("problem").asText()
                + "; keep a copy of the database and investigate from row " + seq));
      }
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("rows", v.path("rows").asLong());
      d.put("headHash", v.path("headHash").asText());
      return output().pass("PASS  audit chain intact: " + v.path("rows").asLong()
          + " rows, head " + v.path("headHash").asText(), d);
    }
  }

  @Command(name = "export", mixinStandardHelpOptions = true,
      description = "Export every row: JSON lines, CEF, or CEF in RFC 5424 syslog lines.")
  static final class Export extends UserCommand.Base {
    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "jsonl",
        description = "jsonl, cef or syslog (default: ${DEFAULT-VALUE}).")
    String format;

    @Option(names = "--out", paramLabel = "FILE",
        description = "Write to FILE (default: standard output).")
    Path out;

    @Override
    public Integer call() throws Exception {
      ServerClient c = client.client();
      String path = "/api/audit/export?format=" + ServerClient.encode(format);
      if (out == null) {
        // Streamed: an export is as long as the log, so it is never held in memory whole.
        try (InputStream in = c.stream(path);
            java.io.Reader r = new java.io.InputStreamReader(in,
                java.nio.charset.StandardCharsets.UTF_8)) {
          r.transferTo(spec.commandLine().getOut());
          spec.commandLine().getOut().flush();
        }
        return 0;
      }
      Path dir = out.toAbsolutePath().getParent();
      Path tmp = Files.createTempFile(dir, ".audit-export-", ".tmp");
      long lines = 0;
      try {
        try (InputStream in = c.stream(path); OutputStream o = Files.newOutputStream(tmp)) {
          byte[] buf = new byte[65536];
          int n;
          while ((n = in.read(buf)) != -1) {
            o.write(buf, 0, n);
            for (int i = 0; i < n; i++) {
              if (buf[i] == '\n') {
                lines++;
              }
            }
          }
        }
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } finally {
        Files.deleteIfExists(tmp);
      }
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("file", out.toString());
      d.put("format", format);
      d.put("records", lines);
      return output().done("Exported " + lines + " audit rows (" + format + ") to " + out, d);
    }
  }
}

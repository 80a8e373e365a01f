package org.neguard.cli.admin;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.neguard.cli.support.ClientCommand;
import org.neguard.cli.support.ForceOption;
import org.neguard.cli.support.OutputFiles;
import org.neguard.cli.support.ServerClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code neguard audit export} (SRC-3). */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = "Export every row: JSON lines, CEF, or CEF in RFC 5424 syslog lines.")
final class AuditExportCommand extends ClientCommand {
  @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "jsonl",
      description = "jsonl, cef or syslog (default: ${DEFAULT-VALUE}).")
  String format;

  @Option(names = "--out", paramLabel = "FILE",
      description = "Write to FILE (default: standard output).")
  Path out;

  @Mixin ForceOption force;

  @Override
  public Integer call() throws Exception {
    if (out != null) {
      OutputFiles.check(out, force.force); // before the server is asked for anything
    }
    ServerClient c = server();
    String path = "/api/audit/export?format=" + ServerClient.encode(format);
    if (out == null) {
      // Streamed: an export is as long as the log, so it is never held in memory whole.
      try (InputStream in = c.stream(path);
          java.io.Reader r = new java.io.InputStreamReader(in,
              java.nio.charset.StandardCharsets.UTF_8)) {
        r.transferTo(commandLine().getOut());
        commandLine().getOut().flush();
      }
      return 0;
    }
    long[] lines = {0};
    OutputFiles.write(out, force.force, o -> {
      try (InputStream in = c.stream(path)) {
        byte[] buf = new byte[65536];
        int n;
        while ((n = in.read(buf)) != -1) {
          o.write(buf, 0, n);
          for (int i = 0; i < n; i++) {
            if (buf[i] == '\n') {
              lines[0]++;
            }
          }
        }
      }
    });
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("file", out.toString());
    d.put("format", format);
    d.put("records", lines[0]);
    return output().done("Exported " + lines[0] + " audit rows (" + format + ") to " + out, d);
  }
}

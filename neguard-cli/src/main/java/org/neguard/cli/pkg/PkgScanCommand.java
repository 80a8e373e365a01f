package org.neguard.cli.pkg;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.neguard.av.Engines;
import org.neguard.av.ScanRunner;
import org.neguard.cli.support.ForceOption;
import org.neguard.cli.support.Output;
import org.neguard.cli.support.TerminalProgress;
import org.neguard.cli.support.Version;
import org.neguard.scanreport.FileResult;
import org.neguard.scanreport.ScanReport;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code neguard pkg scan} (AV-1, AV-3). */
@Command(
    name = "scan",
    mixinStandardHelpOptions = true,
    description = {
      "Scan every payload file of an unsigned bundle with real engines (AV-1) and write one "
          + "report per engine into the bundle under neguard/scan/ (AV-3), listed in the manifest "
          + "so the vendor's signature covers it.",
      "Engines: clamd:tcp://HOST:PORT, clamd:unix:/path, yara:RULES.yar, "
          + "icap://HOST:PORT/SERVICE. Exit 0 all clean, 3 anything found or not scanned (the "
          + "reports are still written, and 'pkg sign' will refuse), 1 an engine failed (nothing "
          + "written)."
    })
final class PkgScanCommand extends BundleCommand {
  @Option(names = "--engine", required = true, paramLabel = "SPEC",
      description = "An engine to scan with. Repeatable: each engine writes its own report.")
  List<String> engines = new ArrayList<>();

  @Option(names = "--out", paramLabel = "FILE",
      description = "Write the scanned bundle here (default: in place).")
  Path out;

  @Mixin ForceOption force;

  @Option(names = "--note", paramLabel = "TEXT",
      description = "A note every report carries (for example, which database feed). Repeatable.")
  List<String> notes = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    Output output = output();
    ScanRunner.Builder runner = ScanRunner.builder().scanner(Version.text());
    for (String e : engines) {
      try {
        runner.engine(e, Engines.parse(e));
      } catch (IllegalArgumentException bad) {
        throw usage("--engine: " + bad.getMessage());
      }
    }
    notes.forEach(runner::note);
    Path target = Bundles.outputOf(file, out, force);
    Bars bars = new Bars(output);
    ScanRunner.Result result;
    try {
      result = runner.build().run(file, target, bars);
    } finally {
      bars.finish();
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("bundle", target.toString());
    details.put("package", Describe.pkg(result.manifest(), false));
    details.put("scanReports", Describe.scanReports(result.reports()));
    String text = target + "\n" + Describe.pkgText(result.manifest()) + "\n"
        + Describe.scanText(result.reports());
    List<Reason> findings = new ArrayList<>();
    for (ScanReport r : result.reports()) {
      for (FileResult f : r.findings()) {
        String engine = r.engine().product() + " " + r.engine().engineVersion();
        findings.add(f.status() == FileResult.Status.INFECTED
            ? Reason.about(ReasonCode.INFECTED, f.path(),
                engine + " found " + f.signature() + " in '" + f.path() + "'"
                    + (f.detail() == null ? "" : " (" + f.detail() + ")"))
            : Reason.about(ReasonCode.NOT_SCANNED, f.path(),
                engine + " did not scan '" + f.path() + "' in full: " + f.detail()));
      }
    }
    if (!findings.isEmpty()) {
      return output.failWithDetails(text, findings, details);
    }
    return output.pass("CLEAN  every file, every engine\n" + text, details);
  }

  /** One progress bar per engine, each labelled with its position. */
  private static final class Bars implements ScanRunner.Progress {
    private final Output output;
    private int index;
    private TerminalProgress bar;

    Bars(Output output) {
      this.output = output;
    }

    @Override
    public synchronized void progress(String engine, int i, int count, long done, long total) {
      if (i != index || bar == null) {
        finish();
        index = i;
        bar = TerminalProgress.bytes(output, "scanning " + i + "/" + count);
      }
      bar.progress(done, total);
    }

    synchronized void finish() {
      if (bar != null) {
        bar.close();
      }
    }
  }
}

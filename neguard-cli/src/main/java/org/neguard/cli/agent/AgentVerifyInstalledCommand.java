package org.neguard.cli.agent;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.neguard.agent.AgentConfig;
import org.neguard.agent.InstalledTree;
import org.neguard.agent.SlotManifests;
import org.neguard.agent.Slots;
import org.neguard.cli.support.CommandBase;
import org.neguard.pkg.Manifest;
import org.neguard.sign.TrustStore;
import org.neguard.verdict.Reason;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code neguard agent verify-installed}: the active slot re-hashed against its manifest. */
@Command(name = "verify-installed", mixinStandardHelpOptions = true,
    description = {"Verify the NE's active version again (INT-3): the vendor's CMS signature on"
        + " the manifest kept at install, against the configured trust anchors, then every file"
        + " under the active slot re-hashed against that manifest.",
        "Exit 0 when the tree is the one the vendor signed; 3 with each changed, missing, extra"
            + " or unsafe file (a symbolic link or special file) and its reason code; 1 when"
            + " nothing is active; 2 on a bad configuration."})
final class AgentVerifyInstalledCommand extends CommandBase {
  @Option(names = "--config", required = true, paramLabel = "FILE",
      description = "The agent's configuration (a properties file, docs/AGENT.md).")
  Path config;

  @Override
  public Integer call() throws Exception {
    AgentConfig c = AgentConfigs.load(config, commandLine());
    TrustStore trust = TrustStore.loadBound(c.trustAnchors(), List.of());
    InstalledTree.Result r = InstalledTree.verify(new Slots(c.installRoot()),
        new SlotManifests(c.stateDir()), trust, Clock.systemUTC());
    Manifest m = r.manifest();
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("slot", r.slot().toString());
    Map<String, Object> pkg = new LinkedHashMap<>();
    pkg.put("name", m.name());
    pkg.put("version", m.version());
    pkg.put("securityVersion", m.securityVersion());
    pkg.put("vendor", m.vendor());
    pkg.put("rim", m.rim().digest());
    d.put("package", pkg);
    Map<String, Object> signer = new LinkedHashMap<>();
    signer.put("subject", r.signer().subject());
    signer.put("fingerprint", r.signer().fingerprint());
    signer.put("signingTime", r.signer().signingTime().toString());
    d.put("signer", signer);
    d.put("filesListed", m.files().size());
    d.put("filesChecked", r.filesChecked());
    List<Map<String, Object>> findings = new ArrayList<>();
    List<Reason> reasons = new ArrayList<>();
    for (InstalledTree.Finding f : r.findings()) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("path", f.path());
      x.put("kind", f.kind().name().toLowerCase(Locale.ROOT));
      x.put("code", f.code().name());
      x.put("message", f.message());
      findings.add(x);
      reasons.add(Reason.about(f.code(), f.path(), f.kind().name().toLowerCase(Locale.ROOT)
          + ": " + f.message()));
    }
    d.put("findings", findings);
    String what = m.name() + " " + m.version() + " (" + r.slot() + "), signed by "
        + r.signer().subject();
    if (r.intact()) {
      return output().pass("PASS  " + what + ": all " + r.filesChecked() + " files match the"
          + " signed manifest", d);
    }
    return output().failWithDetails(what + ": " + r.findings().size()
        + " file(s) differ from the signed manifest", reasons, d);
  }
}

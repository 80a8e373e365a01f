package org.neguard.cli.pkg;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.neguard.cli.support.CommandBase;
import org.neguard.cli.support.Output;
import org.neguard.pki.DemoPki;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code neguard pki demo}. */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = {
      "Create a THROW-AWAY demo PKI: a root CA and a vendor code-signing certificate and "
          + "key.",
      "For trying NEGuard only: production keys come from the vendor's own PKI or HSM."
    })
final class PkiDemoCommand extends CommandBase {
  static final String WARNING =
      "*** DEMO PKI: throw-away keys, stored unencrypted. NOT FOR PRODUCTION. ***";

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Directory to write into.")
  Path out;

  @Override
  public Integer call() throws Exception {
    DemoPki.Created c = DemoPki.create(out);
    Output output = output();
    if (output.json()) {
      output.err().println(WARNING); // the JSON on stdout is for scripts; people read stderr
      output.err().flush();
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("demo", true);
    details.put("warning", "demo PKI: not for production");
    details.put("caCert", c.caCert().toString());
    details.put("caKey", c.caKey().toString());
    details.put("vendorCert", c.vendorCert().toString());
    details.put("vendorKey", c.vendorKey().toString());
    return output.done(
        "demo PKI written to " + out + "\n"
            + "  trust anchor   " + c.caCert() + "\n"
            + "  vendor cert    " + c.vendorCert() + "\n"
            + "  vendor key     " + c.vendorKey() + "  (unencrypted, mode 0600)\n"
            + WARNING,
        details);
  }
}

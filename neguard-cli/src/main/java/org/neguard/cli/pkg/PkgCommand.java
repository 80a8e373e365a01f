package org.neguard.cli.pkg;

import org.neguard.cli.support.CommandGroup;
import picocli.CommandLine.Command;

/** {@code neguard pkg}: build, sign, verify, inspect and extract package bundles. */
@Command(
    name = "pkg",
    mixinStandardHelpOptions = true,
    description = "Build, scan, sign, verify, inspect and extract .ngp package bundles; upload"
        + " and list them on the OAM server.",
    subcommands = {
      PkgBuildCommand.class,
      PkgScanCommand.class,
      PkgSignCommand.class,
      PkgVerifyCommand.class,
      PkgInspectCommand.class,
      PkgExtractCommand.class,
      PkgScanReportCommand.class,
      PkgUploadCommand.class,
      PkgListCommand.class,
      PkgHeldCommand.class,
      PkgVexCommand.class,
      PkgVulnsCommand.class
    })
final class PkgCommand extends CommandGroup {
  @Override
  protected String hint() {
    return "give a pkg command: build, scan, sign, verify, inspect, extract, scan-report, upload,"
        + " list, held, vex or vulns";
  }
}

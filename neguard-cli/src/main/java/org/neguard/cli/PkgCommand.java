package org.neguard.cli;

import picocli.CommandLine;
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
      PkgListCommand.class
    })
final class PkgCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(),
        "give a pkg command: build, scan, sign, verify, inspect, extract, scan-report, upload or"
            + " list");
  }
}

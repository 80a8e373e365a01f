package org.neguard.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code neguard} command. */
@Command(
    name = "neguard",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
      "Keeps the software on mobile network elements trustworthy: packages are built, signed and",
      "verified here; later the OAM server and the NE agent verify them again.",
      "",
      "Exit codes: 0 success or pass, 1 error (no verdict), 2 bad usage, 3 negative verdict."
    },
    subcommands = {
      PkgCommand.class,
      PkiCommand.class,
      HardenCommand.class,
      QuickstartCommand.class,
      ServerCommand.class,
      LoginCommand.class,
      LogoutCommand.class,
      UserCommand.class,
      AuditCommand.class,
      EvidenceCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "give a command, for example 'neguard quickstart'");
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns the exit code; never calls System.exit. */
  public static int run(String... args) {
    return newCommandLine().execute(args);
  }

  static CommandLine newCommandLine() {
    CommandLine cl = new CommandLine(new Main());
    cl.setExecutionExceptionHandler(new Failures());
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    return cl;
  }

  /** The version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"neguard " + (v == null ? "(development build)" : v)};
    }
  }
}

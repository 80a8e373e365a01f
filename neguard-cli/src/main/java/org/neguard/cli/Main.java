package org.neguard.cli;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code neguard} command. */
@Command(
    name = "neguard",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
      "Keeps the software on mobile network elements trustworthy: packages are built, signed "
          + "and verified here; later the OAM server and the NE agent verify them again.",
      "",
      "Exit codes: 0 success or pass, 1 error (no verdict), 2 bad usage, 3 negative verdict."
    })
public final class Main implements Runnable {
  /**
   * The top-level commands, in help order. picocli reflects over every command class it is given
   * (about 0.3 s of start-up for all of them), so a command line that names one builds only that
   * one; help, a mistyped name or no name builds them all.
   */
  private static final Map<String, Class<?>> COMMANDS = commands();

  private static Map<String, Class<?>> commands() {
    Map<String, Class<?>> m = new LinkedHashMap<>();
    m.put("pkg", PkgCommand.class);
    m.put("pki", PkiCommand.class);
    m.put("harden", HardenCommand.class);
    m.put("quickstart", QuickstartCommand.class);
    m.put("server", ServerCommand.class);
    m.put("login", LoginCommand.class);
    m.put("logout", LogoutCommand.class);
    m.put("user", UserCommand.class);
    m.put("audit", AuditCommand.class);
    m.put("evidence", EvidenceCommand.class);
    return Collections.unmodifiableMap(m);
  }

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
    return newCommandLine(args).execute(args);
  }

  /** The whole command tree. */
  static CommandLine newCommandLine() {
    return newCommandLine(new String[0]);
  }

  /** The command tree {@code args} needs: only the command they name, or all of them. */
  static CommandLine newCommandLine(String... args) {
    CommandLine cl = new CommandLine(new Main());
    Class<?> named = args.length > 0 ? COMMANDS.get(args[0]) : null;
    if (named != null) {
      cl.addSubcommand(args[0], named);
    } else {
      for (Map.Entry<String, Class<?>> e : COMMANDS.entrySet()) {
        cl.addSubcommand(e.getKey(), e.getValue());
      }
      cl.addSubcommand("help", new CommandLine.HelpCommand());
    }
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

package org.neguard.cli;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.neguard.cli.support.CommandGroup;
import org.neguard.cli.support.Commands;
import org.neguard.cli.support.Version;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code neguard} command. */
@Command(
    name = "neguard",
    mixinStandardHelpOptions = true,
    versionProvider = Version.class,
    description = {
      "Keeps the software on mobile network elements trustworthy: packages are built, signed "
          + "and verified here; later the OAM server and the NE agent verify them again.",
      "",
      "Exit codes: 0 success or pass, 1 error (no verdict), 2 bad usage, 3 negative verdict."
    })
public final class Main implements Runnable {
  /**
   * The top-level commands, in help order, by class name. picocli reflects over every command
   * class it is given (about 0.3 s of start-up for all of them), so a command line that names one
   * builds only that one; help, a mistyped name or no name builds them all. Named, not linked:
   * this class loads no feature's classes, and {@code neguard server}'s are loaded only when it
   * runs.
   */
  private static final Map<String, String> COMMANDS = commands();

  private static Map<String, String> commands() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("pkg", "org.neguard.cli.pkg.PkgCommand");
    m.put("pki", "org.neguard.cli.pkg.PkiCommand");
    m.put("harden", "org.neguard.cli.harden.HardenCommand");
    m.put("vuln", "org.neguard.cli.vuln.VulnCommand");
    m.put("vulndb", "org.neguard.cli.vuln.VulnDbCommand");
    m.put("quickstart", "org.neguard.cli.QuickstartCommand");
    m.put("server", "org.neguard.cli.server.ServerCommand");
    m.put("login", "org.neguard.cli.admin.LoginCommand");
    m.put("logout", "org.neguard.cli.admin.LogoutCommand");
    m.put("user", "org.neguard.cli.admin.UserCommand");
    m.put("audit", "org.neguard.cli.admin.AuditCommand");
    m.put("device", "org.neguard.cli.device.DeviceCommand");
    m.put("policy", "org.neguard.cli.policy.PolicyCommand");
    m.put("deploy", "org.neguard.cli.deploy.DeployCommand");
    m.put("attest", "org.neguard.cli.attest.AttestCommand");
    m.put("recover", "org.neguard.cli.deploy.RecoverCommand");
    m.put("repo", "org.neguard.cli.repo.RepoCommand");
    m.put("sim", "org.neguard.cli.sim.SimCommand");
    m.put("agent", "org.neguard.cli.agent.AgentCommand");
    m.put("evidence", "org.neguard.cli.evidence.EvidenceCommand");
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

  /**
   * The command tree {@code args} needs: only the branch they name ({@code pkg verify} builds
   * {@code pkg} with {@code verify} alone), or all of it.
   */
  static CommandLine newCommandLine(String... args) {
    CommandLine cl = new CommandLine(new Main());
    String named = args.length > 0 ? COMMANDS.get(args[0]) : null;
    if (named != null) {
      cl.addSubcommand(args[0], branch(command(named), args, 1));
    } else {
      for (Map.Entry<String, String> e : COMMANDS.entrySet()) {
        cl.addSubcommand(e.getKey(), command(e.getValue()));
      }
      cl.addSubcommand("help", new CommandLine.HelpCommand());
    }
    return Commands.configure(cl);
  }

  /**
   * Command class {@code c}, or, when it only groups commands and {@code args[i]} names one of
   * them, {@code c} with that one alone (and so on down): picocli reflects over every subcommand
   * of a group it is given (a third of a short command's start-up for {@code pkg}'s twelve),
   * while reading their names from the annotation costs next to nothing. Anything else (help, a
   * mistyped name, options before the name) builds the whole group, for its help and its "did you
   * mean". A group with options or parameters of its own is always built whole.
   */
  private static Object branch(Class<?> c, String[] args, int i) {
    Command group = c.getAnnotation(Command.class);
    if (group == null || i >= args.length || !CommandGroup.class.isAssignableFrom(c)) {
      return c;
    }
    for (Class<?> sub : group.subcommands()) {
      Command s = sub.getAnnotation(Command.class);
      if (s == null || s.helpCommand()
          || !(s.name().equals(args[i]) || Arrays.asList(s.aliases()).contains(args[i]))) {
        continue;
      }
      CommandLine.Model.CommandSpec spec;
      try {
        spec = CommandLine.Model.CommandSpec.wrapWithoutInspection(
            CommandLine.defaultFactory().create(c));
      } catch (Exception e) {
        throw new IllegalStateException("cannot create command " + c.getName(), e);
      }
      spec.name(group.name()).aliases(group.aliases())
          .mixinStandardHelpOptions(group.mixinStandardHelpOptions());
      spec.usageMessage().description(group.description());
      spec.addSubcommand(s.name(), new CommandLine(branch(sub, args, i + 1)));
      return spec;
    }
    return c;
  }

  private static Class<?> command(String name) {
    try {
      return Class.forName(name, false, Main.class.getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("command class missing from the jar: " + name, e);
    }
  }
}

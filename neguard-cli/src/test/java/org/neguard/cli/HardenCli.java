package org.neguard.cli;

/** Runs {@code neguard harden check} and {@code harden diff} in process. */
final class HardenCli {
  private HardenCli() {}

  static CliRun check(String... args) {
    return CliRun.of(prepend("check", args));
  }

  static CliRun diff(String... args) {
    return CliRun.of(prepend("diff", args));
  }

  private static String[] prepend(String command, String... args) {
    String[] all = new String[args.length + 2];
    all[0] = "harden";
    all[1] = command;
    System.arraycopy(args, 0, all, 2, args.length);
    return all;
  }
}

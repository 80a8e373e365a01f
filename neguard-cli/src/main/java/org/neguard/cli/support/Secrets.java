package org.neguard.cli.support;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

/** Reads a password: from a file, else the terminal without echo, else one line of stdin. */
public final class Secrets {
  private Secrets() {}

  public static String read(Path file, String envVar, String prompt)
      throws IOException, RefusalException {
    if (file != null) {
      return Files.readString(file, StandardCharsets.UTF_8).strip();
    }
    if (envVar != null) {
      String env = System.getenv(envVar);
      if (env != null && !env.isEmpty()) {
        return env;
      }
    }
    Console console = System.console();
    if (console != null) {
      char[] pw = console.readPassword("%s: ", prompt);
      if (pw != null) {
        return new String(pw);
      }
    }
    String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))
        .readLine();
    if (line == null || line.isEmpty()) {
      throw new RefusalException(ReasonCode.BAD_INPUT,
          "no " + prompt.toLowerCase(java.util.Locale.ROOT)
              + " given; use --password-file FILE or type it on a terminal");
    }
    return line;
  }
}

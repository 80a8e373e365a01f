package org.neguard.cli;

import java.io.PrintWriter;

/** How the quickstart shows its steps and the commands it runs: one place for all its parts. */
final class QuickstartText {
  private QuickstartText() {}

  /** A blank line, then {@code == N. text}. */
  static void step(PrintWriter out, int n, String text) {
    out.println();
    out.println("== " + n + ". " + text);
    out.flush();
  }

  /** {@code $ neguard ARGS} as a user would type it, an argument with spaces quoted. */
  static void show(PrintWriter out, String... args) {
    StringBuilder shown = new StringBuilder("$ neguard");
    for (String a : args) {
      shown.append(' ').append(a.contains(" ") ? "'" + a + "'" : a);
    }
    out.println(shown);
    out.flush();
  }
}

package org.neguard.cli.vuln;

import java.util.List;
import org.neguard.api.vuln.FeedDate;

/** Lines the vulnerability views share ({@code vuln fleet}, {@code device vulns}). */
public final class VulnText {
  private VulnText() {}

  /** The database's feeds, one line each, then each message marked "! ". */
  public static void feedsAndMessages(StringBuilder t, List<FeedDate> feeds,
      List<String> messages) {
    for (FeedDate f : feeds) {
      t.append("Feed ").append(f.name()).append(" (").append(f.kind()).append(", ")
          .append(f.records()).append(" records): newest ").append(f.newest())
          .append(", imported ").append(f.imported()).append('\n');
    }
    for (String m : messages) {
      t.append("! ").append(m).append('\n');
    }
  }
}

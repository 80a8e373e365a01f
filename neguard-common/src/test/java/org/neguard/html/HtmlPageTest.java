package org.neguard.html;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HtmlPageTest {
  @Test
  void pageStart_hostileTitle_escapedAndScriptsForbidden() {
    String page = Html.pageStart("</title><script>alert(1)</script>", "body{color:#222}")
        .append("</body></html>").toString();

    assertThat(page).startsWith("<!DOCTYPE html>")
        .contains("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none';"
            + " style-src 'unsafe-inline'\">")
        .contains("<title>&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;</title>")
        .contains("<style>body{color:#222}</style>")
        .doesNotContain("<script>");
  }
}

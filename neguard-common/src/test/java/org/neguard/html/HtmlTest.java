package org.neguard.html;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HtmlTest {
  @Test
  void everyMarkupCharacterIsEscaped() {
    assertThat(Html.escape("&")).isEqualTo("&amp;");
    assertThat(Html.escape("<")).isEqualTo("&lt;");
    assertThat(Html.escape(">")).isEqualTo("&gt;");
    assertThat(Html.escape("\"")).isEqualTo("&quot;");
    assertThat(Html.escape("'")).isEqualTo("&#39;");
    assertThat(Html.escape("<script>alert('x')</script>&amp;"))
        .isEqualTo("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;amp;");
  }

  @Test
  void anEscapedValueCannotLeaveAQuotedAttribute() {
    String hostile = "x\" onmouseover=\"alert(1)' onload='alert(2)";
    String dq = "<td title=\"" + Html.escape(hostile) + "\">";
    String sq = "<td title='" + Html.escape(hostile) + "'>";

    // Only the two quotes that delimit the attribute remain.
    assertThat(dq.chars().filter(c -> c == '"').count()).isEqualTo(2);
    assertThat(sq.chars().filter(c -> c == '\'').count()).isEqualTo(2);
  }

  @Test
  void nullIsEmptyAndOtherObjectsUseTheirText() {
    assertThat(Html.escape(null)).isEmpty();
    assertThat(Html.escape(42)).isEqualTo("42");
    assertThat(Html.escape("plain text, é, \u4e2d")).isEqualTo("plain text, é, \u4e2d");
  }

  @Test
  void charactersXmlCannotCarryBecomeTheReplacementCharacter() {
    assertThat(Html.escape("a\u0001b\u001b[31mc")).isEqualTo("a\uFFFDb\uFFFD[31mc");
    assertThat(Html.xmlSafe("tab\tnl\ncr\r")).isEqualTo("tab\tnl\ncr\r");
    assertThat(Html.xmlSafe("lone \uD800 high, \uFFFE")).isEqualTo("lone \uFFFD high, \uFFFD");
    assertThat(Html.xmlSafe("pair \uD83D\uDE00")).isEqualTo("pair \uD83D\uDE00");
    assertThat(Html.xmlSafe(null)).isEmpty();
  }
}

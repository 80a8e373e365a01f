package org.neguard.vuln;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.neguard.vuln.Cpe.Attribute;

/** CPE names read from the 2.3 formatted string and the 2.2 URI (NISTIR 7695), strictly. */
class CpeTest {
  static RefusalException refused(String name) {
    Throwable t = catchThrowable(() -> Cpe.parse(name));
    assertThat(t).as(name).isInstanceOf(RefusalException.class);
    RefusalException r = (RefusalException) t;
    assertThat(r.code()).isEqualTo(ReasonCode.MALFORMED);
    return r;
  }

  @Test
  @DisplayName("HRD-3 a CPE 2.3 formatted string: eleven attributes, ANY and NA, the version and"
      + " update as NVD's dictionary writes OpenSSH")
  void formatted_attributes() throws Exception {
    Cpe c = Cpe.parse("cpe:2.3:a:openbsd:openssh:9.2:p1:*:*:*:*:*:*");
    assertThat(c.part()).isEqualTo("a");
    assertThat(c.vendor()).isEqualTo("openbsd");
    assertThat(c.product()).isEqualTo("openssh");
    assertThat(c.version()).isEqualTo("9.2");
    assertThat(c.update()).isEqualTo("p1");
    assertThat(c.isAny(Attribute.EDITION)).isTrue();
    assertThat(c.toString()).isEqualTo("cpe:2.3:a:openbsd:openssh:9.2:p1:*:*:*:*:*:*");
    assertThat(Cpe.parse("cpe:2.3:a:x:y:1.0:*:*:en-us:*:*:*:*").value(Attribute.LANGUAGE))
        .isEqualTo("en-us");
    Cpe na = Cpe.parse("cpe:2.3:a:openbsd:openssh:9.3:-:*:*:*:*:*:*");
    assertThat(na.isNa(Attribute.UPDATE)).isTrue();
    assertThat(na.isAny(Attribute.UPDATE)).isFalse();
  }

  @Test
  @DisplayName("HRD-3 the CPE 2.2 URI nmap prints (cpe:/a:openbsd:openssh:9.2p1) is converted:"
      + " missing components are ANY, and it equals the formatted string of the same name")
  void uri_fromNmap_converted() throws Exception {
    Cpe c = Cpe.parse("cpe:/a:openbsd:openssh:9.2p1");
    assertThat(c.toString()).isEqualTo("cpe:2.3:a:openbsd:openssh:9.2p1:*:*:*:*:*:*:*");
    assertThat(c).isEqualTo(Cpe.parse("cpe:2.3:a:openbsd:openssh:9.2p1:*:*:*:*:*:*:*"));
    assertThat(c.version()).isEqualTo("9.2p1");
    assertThat(Cpe.parse("cpe:/o:linux:linux_kernel").isAny(Attribute.VERSION)).isTrue();
    assertThat(Cpe.parse("cpe:/a:openbsd:openssh:9.2p1:").isAny(Attribute.UPDATE))
        .as("an empty URI component is ANY").isTrue();
  }

  @Test
  @DisplayName("HRD-3 URI binding rules (NISTIR 7695 6.1.3): percent-encoding, the packed edition"
      + " ~edition~sw_edition~target_sw~target_hw~other, NA, and case folded")
  void uri_packedEditionAndPercent() throws Exception {
    Cpe c = Cpe.parse("cpe:/a:hp:insight_diagnostics:7.4.0.1570:-:~~online~win2003~x64~");
    assertThat(c.toString())
        .isEqualTo("cpe:2.3:a:hp:insight_diagnostics:7.4.0.1570:-:*:*:online:win2003:x64:*");
    Cpe money = Cpe.parse("cpe:/a:foo%5cbar:big%24money");
    assertThat(money.vendor()).isEqualTo("foo\\bar");
    assertThat(money.product()).isEqualTo("big$money");
    assertThat(money.toString()).isEqualTo("cpe:2.3:a:foo\\\\bar:big\\$money:*:*:*:*:*:*:*:*");
    assertThat(money).isEqualTo(Cpe.parse("cpe:2.3:a:foo\\\\bar:big\\$money:*:*:*:*:*:*:*:*"));
    assertThat(Cpe.parse("cpe:/A:OpenBSD:OpenSSH:9.2P1"))
        .isEqualTo(Cpe.parse("cpe:/a:openbsd:openssh:9.2p1"));
  }

  @Test
  @DisplayName("HRD-3 formatted-string escaping: a quoted colon does not split, \\. and . are one"
      + " value, a quoted lone hyphen is a value and not NA")
  void formatted_escaping() throws Exception {
    Cpe colon = Cpe.parse("cpe:2.3:a:foo\\:bar:baz:1.0:*:*:*:*:*:*:*");
    assertThat(colon.vendor()).isEqualTo("foo:bar");
    assertThat(colon.product()).isEqualTo("baz");
    assertThat(colon).isEqualTo(Cpe.parse("cpe:/a:foo%3abar:baz:1.0"));
    assertThat(Cpe.parse("cpe:2.3:a:x:y:1\\.0:*:*:*:*:*:*:*"))
        .isEqualTo(Cpe.parse("cpe:2.3:a:x:y:1.0:*:*:*:*:*:*:*"));
    Cpe hyphen = Cpe.parse("cpe:2.3:a:x:y:\\-:*:*:*:*:*:*:*");
    assertThat(hyphen.isNa(Attribute.VERSION)).isFalse();
    assertThat(hyphen.version()).isEqualTo("-");
    assertThat(hyphen.toString()).isEqualTo("cpe:2.3:a:x:y:\\-:*:*:*:*:*:*:*");
    assertThat(Cpe.parse(hyphen.toString())).isEqualTo(hyphen);
    Cpe wild = Cpe.parse("cpe:2.3:a:x:y:9.*:*:*:*:*:*:*:*");
    assertThat(wild.hasWildcard(Attribute.VERSION)).isTrue();
    assertThat(Cpe.parse("cpe:2.3:a:x:y:9\\*:*:*:*:*:*:*:*").hasWildcard(Attribute.VERSION))
        .as("a quoted * is a character, not a wildcard").isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "cpe:2.3:a:openbsd:openssh:9.2:p1:*:*:*:*:*",            // 10 components
      "cpe:2.3:a:openbsd:openssh:9.2:p1:*:*:*:*:*:*:*",        // 12 components
      "cpe:2.3:a:open bsd:openssh:9.2:*:*:*:*:*:*:*",          // unquoted space
      "cpe:2.3:a:openbsd:open\\ssh:9.2:*:*:*:*:*:*:*",         // quoting a letter
      "cpe:2.3:a:openbsd:openssh:9.2:*:*:*:*:*:*:x\\",         // lone trailing backslash
      "cpe:2.3:a:openbsd:op*nssh:9.2:*:*:*:*:*:*:*",           // wildcard inside a value
      "cpe:2.3:a:openbsd:op?nssh:9.2:*:*:*:*:*:*:*",           // ? inside a value
      "cpe:2.3:x:openbsd:openssh:9.2:*:*:*:*:*:*:*",           // part neither a, o nor h
      "cpe:2.3:a::openssh:9.2:*:*:*:*:*:*:*",                  // empty component
      "cpe:2.3:a:openbsd:openssh:9.2!:*:*:*:*:*:*:*",          // unquoted punctuation
      "cpe:2.3:a:openbsd:openssh:9.2\u00e9:*:*:*:*:*:*:*",     // not ASCII
      "cpe:2.3:a:openbsd:openssh:9.2\n:*:*:*:*:*:*:*",         // control character
      "cpe:/a:openbsd:openssh:9.2p1:a:b:c:d",                  // 8 URI components
      "cpe:/a:openbsd:openssh:9.2%zz",                         // bad percent-encoding
      "cpe:/a:openbsd:openssh:9.2%0",                          // short percent-encoding
      "cpe:/a:openbsd:openssh:9.2%00",                         // encoded NUL
      "cpe:/a:openbsd:openssh:9.2 p1",                         // space in a URI
      "cpe:/a:openbsd:open%02ssh:9.2",                         // wildcard inside a URI value
      "cpe:2.3:a:openbsd:openssh:**:*:*:*:*:*:*:*",            // wildcards only
      "cpe:2.3:a:openbsd:openssh:?*:*:*:*:*:*:*:*",            // wildcards only
      "cpe:2.3:a:openbsd:openssh:9.2:*:*:english:*:*:*:*",     // language not a tag
      "cpe:/a:openbsd:openssh:9.2::::x1",                      // URI language not a tag
      "cpe:/a:hp:diag:7:-:~~online~win2003~x64",               // packed edition, 4 fields
      "cpe:/q:openbsd:openssh",                                 // bad part in a URI
      "cpe:2.2:a:openbsd:openssh",                              // neither binding
      "openssh 9.2p1",                                          // not a CPE at all
      ""})
  @DisplayName("HRD-3 a CPE the grammar does not allow is refused MALFORMED, never guessed at")
  void notWellFormed_refused(String name) {
    RefusalException r = refused(name);
    assertThat(r.getMessage()).startsWith("MALFORMED").contains("CPE");
    assertThat(r.getMessage()).doesNotContain("\n");
  }

  @Test
  @DisplayName("HRD-3 a CPE longer than the limit is refused before it is looked at, and"
      + " messages never echo control characters")
  void tooLong_refused() {
    RefusalException r = refused("cpe:2.3:a:x:" + "y".repeat(Cpe.MAX_LENGTH) + ":*:*:*:*:*:*:*:*");
    assertThat(r.getMessage()).contains("longer than " + Cpe.MAX_LENGTH);
    assertThat(refused("cpe:/a:x\u001b[2J:y").getMessage()).doesNotContain("\u001b");
  }

  @Test
  @DisplayName("HRD-3 one name, one reading: 20,000 random names survive formatted string ->"
      + " parse -> formatted string unchanged, and their URI spelling reads to the same name")
  void roundTrip_random() throws Exception {
    java.util.Random r = new java.util.Random(7695);
    String chars = "abcxyz019_.-~!$%&'()+,/:;<=>@[]^`{|}\\";
    for (int i = 0; i < 20_000; i++) {
      String[] v = new String[4];
      StringBuilder uri = new StringBuilder("cpe:/a");
      StringBuilder fs = new StringBuilder("cpe:2.3:a");
      for (int k = 0; k < 4; k++) {
        StringBuilder raw = new StringBuilder();
        int n = 1 + r.nextInt(6);
        for (int j = 0; j < n; j++) {
          raw.append(chars.charAt(r.nextInt(chars.length())));
        }
        v[k] = raw.toString();
        fs.append(':');
        uri.append(':');
        for (char c : v[k].toCharArray()) {
          boolean plain = Character.isLetterOrDigit(c) || c == '_' || c == '.' || c == '-';
          fs.append(plain ? "" : "\\").append(c);
          uri.append(plain ? String.valueOf(c) : String.format("%%%02x", (int) c));
        }
        if (v[k].equals("-")) {
          fs.setLength(fs.length() - 1);
          fs.append("\\-");
          uri.setLength(uri.length() - 1);
          uri.append("%2d");
        }
      }
      fs.append(":*:*:*:*:*:*");
      Cpe a = Cpe.parse(fs.toString());
      assertThat(Cpe.parse(a.toString())).as(fs.toString()).isEqualTo(a);
      assertThat(a.toString()).as(fs.toString()).isEqualTo(fs.toString());
      assertThat(a.vendor()).isEqualTo(v[0]);
      assertThat(a.version()).isEqualTo(v[2]);
      assertThat(Cpe.parse(uri.toString())).as(uri.toString()).isEqualTo(a);
    }
  }
}

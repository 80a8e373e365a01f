package org.neguard.server.attest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SqlTest {
  @Test
  void placeholders_one_isASingleMarker() {
    assertThat(Sql.placeholders(1)).isEqualTo("?");
  }

  @Test
  void placeholders_three_areCommaSeparated() {
    assertThat(Sql.placeholders(3)).isEqualTo("?, ?, ?");
  }

  @Test
  void placeholders_zero_refusedNamingTheArgument() {
    assertThatThrownBy(() -> Sql.placeholders(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("n < 1: 0");
  }
}

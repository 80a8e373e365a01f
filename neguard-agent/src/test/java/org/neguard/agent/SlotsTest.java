package org.neguard.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;

@DisplayName("INT-3 install slots: no entry escapes its slot; current and previous switch by rename")
class SlotsTest {
  @TempDir Path root;

  @Test
  @DisplayName("INT-3 an entry escaping the slot (.., absolute, through a symbolic link) is"
      + " refused UNSAFE_PATH; a plain path lands inside")
  void inside_refusesEscapes() throws Exception {
    Path slot = Files.createDirectories(root.resolve("versions/core@1.0"));
    Files.createDirectories(root.resolve("elsewhere"));
    Files.createSymbolicLink(slot.resolve("link"), root.resolve("elsewhere"));
    for (String bad : new String[] {"../core@2.0/x", "a/../../x", "/etc/passwd", "a//b", "./a",
        "link/x", "", "a\\..\\x"}) {
      assertThatThrownBy(() -> Slots.inside(slot, bad)).as(bad)
          .isInstanceOfSatisfying(RefusalException.class,
              e -> assertThat(e.reasons().get(0).code()).isEqualTo(ReasonCode.UNSAFE_PATH));
    }
    assertThat(Slots.inside(slot, "lib/core.so")).isEqualTo(slot.resolve("lib/core.so"));
    assertThatThrownBy(() -> new Slots(root).slot("..", ""))
        .isInstanceOf(RefusalException.class);
  }

  @Test
  @DisplayName("INT-3 payload paths named like the install root's own entries (current, previous,"
      + " versions) or differing only in case land inside the slot, never on the root's links")
  void inside_rootNamesAndCaseStayInTheSlot() throws Exception {
    Path slot = Files.createDirectories(root.resolve("versions/core@1.0"));
    for (String name : new String[] {"current", "previous", "versions/core@2.0/x", "LIB/Core.so",
        "lib/CORE.SO", ".current-x"}) {
      Path at = Slots.inside(slot, name);
      assertThat(at.normalize().startsWith(slot) && !at.equals(slot)).as(name).isTrue();
      assertThat(at).as(name).isNotIn(root.resolve("current"), root.resolve("previous"));
    }
    // The slot of a package is a single component under versions/, whatever it is called.
    assertThat(new Slots(root).slot("current", "1.0")).isEqualTo(root.resolve(
        "versions/current@1.0"));
    for (String[] bad : new String[][] {{"a/b", "1"}, {".x", "1"}, {"x", "1/../../y"}}) {
      assertThatThrownBy(() -> new Slots(root).slot(bad[0], bad[1])).as(String.join(" ", bad))
          .isInstanceOfSatisfying(RefusalException.class,
              e -> assertThat(e.reasons().get(0).code()).isEqualTo(ReasonCode.UNSAFE_PATH));
    }
  }

  @Test
  @DisplayName("INT-3 activate: current points to the new slot, previous to the one active"
      + " before; no temporary link is left")
  void activate_currentAndPrevious() throws Exception {
    Slots slots = new Slots(root);
    Path v1 = Files.createDirectories(slots.slot("core", "1.0"));
    Path v2 = Files.createDirectories(slots.slot("core", "2.0"));
    slots.activate(v1);
    assertThat(slots.active()).contains(v1);
    assertThat(slots.previous()).isEmpty();
    slots.activate(v2);
    assertThat(slots.active()).contains(v2);
    assertThat(slots.previous()).contains(v1);
    assertThat(Files.readSymbolicLink(root.resolve("current")).toString())
        .isEqualTo("versions/core@2.0");
    try (var s = Files.list(root)) {
      assertThat(s.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("versions", "current", "previous");
    }
  }

  @Test
  @DisplayName("REC-1 rollBack: current back to last-known-good by one rename; on a first"
      + " install (none) current is removed")
  void rollBack_toLastKnownGood_orNothing() throws Exception {
    Slots slots = new Slots(root);
    Path v1 = Files.createDirectories(slots.slot("core", "1.0"));
    Path v2 = Files.createDirectories(slots.slot("core", "2.0"));
    slots.activate(v1);
    java.util.Optional<Path> lastGood = slots.active();
    slots.activate(v2);
    slots.rollBack(lastGood);
    assertThat(slots.active()).contains(v1);
    assertThat(Files.readSymbolicLink(root.resolve("current")).toString())
        .isEqualTo("versions/core@1.0");

    Slots fresh = new Slots(root.resolve("fresh"));
    Path only = Files.createDirectories(fresh.slot("core", "1.0"));
    fresh.activate(only);
    fresh.rollBack(java.util.Optional.empty());
    assertThat(fresh.active()).isEmpty();
    assertThat(root.resolve("fresh/current")).doesNotExist();
    assertThat(only).isDirectory();
  }

  @Test
  @DisplayName("REC-1 restore puts current and previous back as before a switch (idempotent);"
      + " removeLeftovers removes .tmp-, .old- and temporary links, never a slot")
  void restore_andLeftovers() throws Exception {
    Slots slots = new Slots(root);
    Path v1 = Files.createDirectories(slots.slot("core", "1.0"));
    Path v2 = Files.createDirectories(slots.slot("core", "2.0"));
    Path v3 = Files.createDirectories(slots.slot("core", "3.0"));
    slots.activate(v1);
    slots.activate(v2); // current 2.0, previous 1.0
    java.util.Optional<Path> good = slots.active();
    java.util.Optional<Path> prev = slots.previous();
    slots.activate(v3);
    slots.restore(good, prev);
    slots.restore(good, prev);
    assertThat(slots.active()).contains(v2);
    assertThat(slots.previous()).contains(v1);
    slots.restore(java.util.Optional.empty(), java.util.Optional.empty());
    assertThat(root.resolve("current")).doesNotExist();
    assertThat(root.resolve("previous")).doesNotExist();

    Files.createDirectories(root.resolve("versions/.tmp-core-4.0-x/lib"));
    Files.writeString(root.resolve("versions/.tmp-core-4.0-x/lib/a"), "half");
    Files.createDirectories(root.resolve("versions/.old-core-2.0-y"));
    Files.createSymbolicLink(root.resolve(".current-z"), Path.of("versions/core@3.0"));
    assertThat(slots.removeLeftovers()).hasSize(3);
    try (var s = Files.list(root.resolve("versions"))) {
      assertThat(s.map(p -> p.getFileName().toString()).toList())
          .containsExactlyInAnyOrder("core@1.0", "core@2.0", "core@3.0");
    }
    assertThat(root.resolve(".current-z")).doesNotExist();
  }

  @Test
  @DisplayName("REC-1 a crash between extract's two renames (the slot set aside, its fresh"
      + " copy not yet in place): recovery puts the set-aside slot back, so previous still"
      + " names last-known-good; one whose place is taken is removed")
  void leftovers_setAsideSlotWithItsPlaceEmpty_putBack() throws Exception {
    Slots slots = new Slots(root);
    Path v1 = Files.createDirectories(slots.slot("core", "1.0"));
    Files.writeString(v1.resolve("core.so"), "good");
    Path v2 = Files.createDirectories(slots.slot("core", "2.0"));
    slots.activate(v1);
    slots.activate(v2); // current 2.0, previous 1.0 (last-known-good)
    // extract() of core 1.0 again: the first rename done, the crash before the second.
    Path aside = root.resolve("versions/.old-core@1.0-" + java.util.UUID.randomUUID());
    Files.move(v1, aside);
    // And an older set-aside copy of 2.0 whose place is taken: that one goes.
    Path stale = Files.createDirectories(root.resolve("versions/.old-core@2.0-"
        + java.util.UUID.randomUUID()));

    assertThat(slots.removeLeftovers()).containsExactlyInAnyOrder(v1, stale);
    assertThat(Files.readString(v1.resolve("core.so"))).isEqualTo("good");
    assertThat(slots.previous()).contains(v1);
    assertThat(aside).doesNotExist();
    assertThat(stale).doesNotExist();
    try (var s = Files.list(root.resolve("versions"))) {
      assertThat(s.map(p -> p.getFileName().toString()).toList())
          .containsExactlyInAnyOrder("core@1.0", "core@2.0");
    }
  }

  @Test
  @DisplayName("REC-1 the active version ordered again goes to the slot's other generation"
      + " (~1), never into the active tree; the next reinstall to the plain name again")
  void slotFor_activeVersionGoesToTheOtherGeneration() throws Exception {
    Slots slots = new Slots(root);
    Path v1 = Files.createDirectories(slots.slot("core", "1.0"));
    assertThat(slots.slotFor("core", "1.0")).isEqualTo(v1);
    slots.activate(v1);
    Path g1 = slots.slotFor("core", "1.0");
    assertThat(g1.getFileName().toString()).isEqualTo("core@1.0~1");
    assertThat(Slots.isSlotName("core@1.0~1")).isTrue();
    assertThat(Slots.isSlotName("core@1.0~2")).isFalse();
    assertThat(Slots.base("core@1.0~1")).isEqualTo("core@1.0");
    assertThat(Slots.base("core@1.0")).isEqualTo("core@1.0");
    Files.createDirectories(g1);
    slots.activate(g1);
    assertThat(slots.slotFor("core", "1.0")).isEqualTo(v1);
    assertThat(slots.activeSlot()).contains(g1);
    assertThat(slots.slotFor("core", "2.0")).isEqualTo(slots.slot("core", "2.0"));
  }
}

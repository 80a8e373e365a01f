package org.neguard.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
  @TempDir Path dir;

  @Test
  void write_newFile_createsDirectoryAndLeavesNoTemporaryFile() throws IOException {
    Path f = dir.resolve("sub/out.txt");
    AtomicFiles.write(f, bytes("new"), AtomicFiles.Existing.REFUSE);
    assertThat(f).hasContent("new");
    assertThat(names(f.getParent())).containsExactly("out.txt");
  }

  @Test
  void write_existingRefused_keepsTheFileUntouched() throws IOException {
    Path f = Files.writeString(dir.resolve("out.txt"), "old");
    assertThatThrownBy(() -> AtomicFiles.write(f, bytes("new"), AtomicFiles.Existing.REFUSE))
        .isInstanceOf(FileAlreadyExistsException.class).hasMessageContaining("out.txt");
    assertThat(f).hasContent("old");
    assertThat(names(dir)).containsExactly("out.txt");
  }

  @Test
  void write_existingReplaced() throws IOException {
    Path f = Files.writeString(dir.resolve("out.txt"), "old");
    AtomicFiles.write(f, bytes("new"));
    assertThat(f).hasContent("new");
    assertThat(names(dir)).containsExactly("out.txt");
  }

  @Test
  void failureMidWrite_leavesTargetAsItWasAndNoPartialFile() throws IOException {
    Path f = Files.writeString(dir.resolve("out.txt"), "old");
    assertThatThrownBy(() -> {
      try (AtomicFiles.Pending p = AtomicFiles.create(f, AtomicFiles.Existing.REPLACE);
          OutputStream o = Files.newOutputStream(p.path())) {
        o.write(bytes("half of the new"));
        throw new IOException("disk full");
      }
    }).hasMessage("disk full");
    assertThat(f).hasContent("old");
    assertThat(names(dir)).containsExactly("out.txt");
  }

  @Test
  void refuse_targetAppearingBeforeCommit_isNotReplaced() throws IOException {
    Path f = dir.resolve("out.txt");
    try (AtomicFiles.Pending p = AtomicFiles.create(f, AtomicFiles.Existing.REFUSE)) {
      Files.writeString(p.path(), "new");
      Files.writeString(f, "someone else's");
      assertThatThrownBy(p::commit).isInstanceOf(FileAlreadyExistsException.class);
    }
    assertThat(f).hasContent("someone else's");
    assertThat(names(dir)).containsExactly("out.txt");
  }

  @Test
  void refuse_danglingSymlinkAtTarget_refusedAndNothingWrittenThroughIt() throws IOException {
    Path elsewhere = dir.resolve("elsewhere.txt");
    Path f = dir.resolve("out.txt");
    Files.createSymbolicLink(f, elsewhere);
    assertThatThrownBy(() -> AtomicFiles.write(f, "new".getBytes(), AtomicFiles.Existing.REFUSE))
        .isInstanceOf(FileAlreadyExistsException.class);
    assertThat(Files.isSymbolicLink(f)).isTrue();
    assertThat(elsewhere).doesNotExist();
    assertThat(names(dir)).containsExactly("out.txt");
  }

  @Test
  void attributes_applyToTheFileBeforeItIsWritten() throws IOException {
    Path f = dir.resolve("secret");
    try (AtomicFiles.Pending p = AtomicFiles.create(f, AtomicFiles.Existing.REPLACE,
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p.path())))
          .isEqualTo("rw-------");
      Files.writeString(p.path(), "token");
      p.commit();
    }
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f)))
        .isEqualTo("rw-------");
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static java.util.List<String> names(Path d) throws IOException {
    try (Stream<Path> s = Files.list(d)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}

package org.neguard.pkg;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.zip.CRC32;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipFile;

/**
 * Rewrites a bundle's ZIP the way an attacker would: entries replaced, added, removed, duplicated,
 * turned into symbolic links, or given hostile names. Names are written byte for byte as given
 * (no separator normalization); {@link #rawNames} reads them back to prove it.
 *
 * <p>Everything is held in memory: meant for the small bundles of the tests.
 */
final class BundleTamper {
  /** The modification time written on every entry, so that rewrites are deterministic. */
  private static final long TIME = 1_768_471_200_000L; // 2026-01-15T10:00:00Z

  private static final int REGULAR = 0100644;

  private record Item(String name, byte[] content, int method, int unixMode) {}

  private final List<Item> items = new ArrayList<>();

  private BundleTamper() {}

  /** Starts from the entries of {@code bundle}, in archive order. */
  static BundleTamper of(Path bundle) throws IOException {
    BundleTamper t = new BundleTamper();
    try (ZipFile zip = ZipFile.builder().setPath(bundle).get()) {
      for (ZipArchiveEntry e : Collections.list(zip.getEntriesInPhysicalOrder())) {
        byte[] content;
        try (InputStream in = zip.getInputStream(e)) {
          content = in.readAllBytes();
        }
        String name = new String(e.getRawName(), StandardCharsets.UTF_8);
        t.items.add(new Item(name, content, e.getMethod(), e.getUnixMode()));
      }
    }
    return t;
  }

  /** Starts from nothing. */
  static BundleTamper empty() {
    return new BundleTamper();
  }

  /** The current content of {@code name} (the first entry of that name). */
  byte[] content(String name) {
    return find(name).content().clone();
  }

  /** Replaces the content of every entry named {@code name}. */
  BundleTamper replace(String name, byte[] content) {
    find(name);
    items.replaceAll(i -> i.name().equals(name)
        ? new Item(name, content.clone(), i.method(), i.unixMode()) : i);
    return this;
  }

  /** Replaces the content of {@code name} with {@code f} of the old content. */
  BundleTamper modify(String name, UnaryOperator<byte[]> f) {
    return replace(name, f.apply(content(name)));
  }

  /** Adds a deflated regular-file entry at the end. */
  BundleTamper add(String name, byte[] content) {
    items.add(new Item(name, content.clone(), ZipArchiveEntry.DEFLATED, REGULAR));
    return this;
  }

  /** Adds a stored (uncompressed) regular-file entry at the end. */
  BundleTamper addStored(String name, byte[] content) {
    items.add(new Item(name, content.clone(), ZipArchiveEntry.STORED, REGULAR));
    return this;
  }

  /** Replaces {@code name} if present, else adds it (stored). */
  BundleTamper put(String name, byte[] content) {
    if (names().contains(name)) {
      return replace(name, content);
    }
    return addStored(name, content);
  }

  /** Makes every entry named {@code name} deflated. */
  BundleTamper deflate(String name) {
    find(name);
    items.replaceAll(i -> i.name().equals(name)
        ? new Item(name, i.content(), ZipArchiveEntry.DEFLATED, i.unixMode()) : i);
    return this;
  }

  /** Removes every entry named {@code name}. */
  BundleTamper remove(String name) {
    find(name);
    items.removeIf(i -> i.name().equals(name));
    return this;
  }

  /** Adds a second entry with the name, content and kind of {@code name}. */
  BundleTamper duplicate(String name) {
    items.add(find(name));
    return this;
  }

  /**
   * Makes {@code name} a symbolic link (unix mode 0120777) pointing at {@code target}: replaces
   * the entry if it exists, adds it otherwise.
   */
  BundleTamper symlink(String name, String target) {
    Item link =
        new Item(name, target.getBytes(StandardCharsets.UTF_8), ZipArchiveEntry.STORED, 0120777);
    boolean replaced = false;
    for (int i = 0; i < items.size(); i++) {
      if (items.get(i).name().equals(name)) {
        items.set(i, link);
        replaced = true;
      }
    }
    if (!replaced) {
      items.add(link);
    }
    return this;
  }

  /** Writes the archive to {@code out}, names in UTF-8. */
  Path write(Path out) throws IOException {
    return write(out, "UTF-8");
  }

  /** Writes the archive to {@code out}, names in {@code encoding}. */
  Path write(Path out, String encoding) throws IOException {
    try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(out)) {
      zip.setEncoding(encoding);
      for (Item i : items) {
        ZipArchiveEntry e = new VerbatimEntry(i.name());
        if (i.unixMode() != 0) {
          e.setUnixMode(i.unixMode());
        }
        e.setMethod(i.method());
        e.setTime(TIME);
        if (i.method() == ZipArchiveEntry.STORED) {
          CRC32 crc = new CRC32();
          crc.update(i.content());
          e.setSize(i.content().length);
          e.setCompressedSize(i.content().length);
          e.setCrc(crc.getValue());
        }
        zip.putArchiveEntry(e);
        zip.write(i.content());
        zip.closeArchiveEntry();
      }
    }
    return out;
  }

  private Item find(String name) {
    return items.stream()
        .filter(i -> i.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no entry " + name + " in " + names()));
  }

  List<String> names() {
    return items.stream().map(Item::name).toList();
  }

  /** The entry names of {@code zip} exactly as stored in its central directory. */
  static List<String> rawNames(Path zip) throws IOException {
    try (ZipFile z = ZipFile.builder().setPath(zip).get()) {
      List<String> names = new ArrayList<>();
      for (ZipArchiveEntry e : Collections.list(z.getEntries())) {
        names.add(new String(e.getRawName(), StandardCharsets.UTF_8));
      }
      return names;
    }
  }

  /**
   * Rewrites the uncompressed size that the central directory and the local header declare for
   * {@code name}, leaving the data as it is: the archive lies about the entry's size.
   */
  static void lieAboutSize(Path zip, String name, long declaredSize) throws IOException {
    byte[] bytes = Files.readAllBytes(zip);
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int eocd = -1;
    for (int i = bytes.length - 22; i >= 0; i--) {
      if (b.getInt(i) == 0x06054b50) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) {
      throw new IOException("no end of central directory in " + zip);
    }
    int count = Short.toUnsignedInt(b.getShort(eocd + 10));
    int p = b.getInt(eocd + 16);
    byte[] wanted = name.getBytes(StandardCharsets.UTF_8);
    boolean found = false;
    for (int n = 0; n < count; n++) {
      if (b.getInt(p) != 0x02014b50) {
        throw new IOException("bad central directory header at " + p);
      }
      int nameLen = Short.toUnsignedInt(b.getShort(p + 28));
      int extraLen = Short.toUnsignedInt(b.getShort(p + 30));
      int commentLen = Short.toUnsignedInt(b.getShort(p + 32));
      int local = b.getInt(p + 42);
      byte[] entryName = Arrays.copyOfRange(bytes, p + 46, p + 46 + nameLen);
      if (Arrays.equals(entryName, wanted)) {
        b.putInt(p + 24, (int) declaredSize);
        if (b.getInt(local) != 0x04034b50) {
          throw new IOException("bad local header at " + local);
        }
        b.putInt(local + 22, (int) declaredSize);
        // A consistent liar: a local ZIP64 field, if any, tells the same size.
        int localName = Short.toUnsignedInt(b.getShort(local + 26));
        int localExtra = Short.toUnsignedInt(b.getShort(local + 28));
        for (int x = local + 30 + localName; x + 4 <= local + 30 + localName + localExtra; ) {
          int length = Short.toUnsignedInt(b.getShort(x + 2));
          if (b.getShort(x) == 1 && length >= 8) {
            b.putLong(x + 4, declaredSize);
          }
          x += 4 + length;
        }
        found = true;
      }
      p += 46 + nameLen + extraLen + commentLen;
    }
    if (!found) {
      throw new IllegalArgumentException("no entry " + name + " in " + zip);
    }
    Files.write(zip, bytes);
  }

  /** An entry whose name is kept verbatim (commons-compress turns '\' into '/' for DOS names). */
  private static final class VerbatimEntry extends ZipArchiveEntry {
    VerbatimEntry(String name) {
      super(name);
      setPlatform(PLATFORM_UNIX);
      setName(name);
    }

    // Identity, so that two entries of the same name and content stay two entries: the output
    // stream keys its per-entry bookkeeping on them.
    @Override
    public boolean equals(Object o) {
      return this == o;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(this);
    }
  }
}

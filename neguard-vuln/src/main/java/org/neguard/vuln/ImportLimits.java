package org.neguard.vuln;

/**
 * How much one feed import may read and keep. Each limit is checked before the memory it guards
 * is spent: a feed file's size before it is opened, a record's size before it is parsed (never
 * trusting the size a zip entry declares), the record count and the bytes read so far before the
 * next record is read. Above a limit the import is refused (SIZE_LIMIT) and the database is left
 * as it was.
 *
 * @param maxRecordBytes one record (an OSV file, an NVD CVE item)
 * @param maxRecords records in one feed
 * @param maxFeedBytes bytes read from one feed, uncompressed (a zip bomb stops here)
 * @param maxFileBytes the size of one feed file as stored
 */
public record ImportLimits(int maxRecordBytes, long maxRecords, long maxFeedBytes,
    long maxFileBytes) {
  /**
   * Room for every public feed today with a wide margin: OSV's Debian dump is about 60,000
   * records and 300 MB unzipped, NVD's yearly files under 300 MB.
   */
  public static final ImportLimits DEFAULT = new ImportLimits(OsvReader.MAX_BYTES, 2_000_000,
      4L << 30, 2L << 30);

  public ImportLimits {
    if (maxRecordBytes < 1 || maxRecords < 1 || maxFeedBytes < 1 || maxFileBytes < 1) {
      throw new IllegalArgumentException("import limits must be positive: " + maxRecordBytes
          + ", " + maxRecords + ", " + maxFeedBytes + ", " + maxFileBytes);
    }
  }
}

package org.neguard.av;

import java.util.List;
import org.neguard.progress.ProgressListener;
import org.neguard.verdict.RefusalException;
import org.neguard.scanreport.EngineInfo;
import org.neguard.scanreport.FileResult;

/**
 * A real anti-virus or pattern engine (AV-1). Implementations talk to clamd, run {@code yara},
 * or speak ICAP to an operator's gateway.
 *
 * <p>Contract: an engine never reports a file clean that it did not examine in full. Anything it
 * skipped, in whole or in part, is {@link FileResult.Status#NOT_SCANNED} with the reason. When the
 * engine cannot be reached, stops answering, or answers something it cannot parse, {@link #scan}
 * throws: a partial run never becomes a report. Temporary files an engine needs are deleted
 * before it returns or throws.
 *
 * <p>Instances hold only configuration; each call opens and closes its own connections.
 */
public interface ScanEngine {
  /**
   * Asks the engine what it is: product, versions, signature database.
   *
   * @throws RefusalException {@code ENGINE_UNAVAILABLE} when it cannot be reached, {@code
   *     ENGINE_ERROR} when its answer cannot be understood
   */
  EngineInfo describe() throws RefusalException;

  /**
   * Whether {@link #describe} may be asked beside {@link #scan}, on another thread, rather than
   * before it. The scan runner asks again after the scan and refuses a report when the answers
   * differ; an engine whose description is read from what the scan itself reads (a rules file)
   * answers false, so that the first answer comes before the scan reads it.
   */
  default boolean describedBesideScan() {
    return true;
  }

  /**
   * Scans every item and returns one result per item, in the same order.
   *
   * @param progress told of bytes handed to the engine so far
   * @throws RefusalException {@code ENGINE_UNAVAILABLE} or {@code ENGINE_ERROR} for the engine's
   *     faults; {@code IO_ERROR} for an item that cannot be read ({@link ScanItem#unreadable}) or
   *     changed while it was read ({@link ScanItem#changed}), whatever the engine. No result at
   *     all in any of these cases.
   */
  List<FileResult> scan(List<ScanItem> items, ProgressListener progress) throws RefusalException;
}

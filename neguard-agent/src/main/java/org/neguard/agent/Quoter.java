package org.neguard.agent;

import java.io.IOException;
import java.util.List;
import org.neguard.attest.Evidence;
import org.neguard.measure.PlatformTim;
import org.neguard.verdict.RefusalException;

/**
 * The TPM trust base of this NE's evidence (docs/MEASUREMENT.md, "TPM quotes"): extends the
 * components' digests, in chain order, into the bound PCR and quotes it over the validation
 * entity's nonce. An NE without a TPM has none, and its evidence rests on its software key alone.
 */
public interface Quoter {
  /**
   * Extends {@code chain} into the PCR and quotes it over {@code nonce}.
   *
   * @throws RefusalException when the TPM refuses or is not the one bound at enrollment, or
   *     (SIZE_LIMIT) the event log has no room for the extends, when nothing is extended
   * @throws IOException when the TPM cannot be reached
   */
  Evidence.Quote quote(byte[] nonce, List<PlatformTim.Component> chain)
      throws IOException, RefusalException;
}

package org.neguard.attest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;
import org.neguard.measure.PlatformTim;
import org.neguard.measure.TreeDigest;

/**
 * Writes the evidence payload's JSON (docs/MEASUREMENT.md, "Evidence"), compact, fields in the
 * order the document gives them; {@link EvidenceCodec} reads it. Apart from the reader so that
 * the NE agent, which only writes evidence, does not load Jackson's data binding for it: the
 * reader's strict mapper is that binding (docs/AGENT.md "Footprint").
 */
final class EvidenceEncoder {
  private static final JsonFactory JSON = new JsonFactory();

  private EvidenceEncoder() {}

  static byte[] encode(Evidence e) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("format", e.format());
      g.writeStringField("deviceId", e.deviceId());
      g.writeStringField("nonce", e.nonce());
      g.writeStringField("measuredAt", e.measuredAt().toString());
      g.writeStringField("trustBase", e.trustBase().name());
      g.writeStringField("timAlgorithm", PlatformTim.ALGORITHM);
      g.writeStringField("tim", e.tim());
      g.writeArrayFieldStart("components");
      for (Evidence.Component c : e.components()) {
        g.writeStartObject();
        g.writeStringField("name", c.name());
        g.writeStringField("reference", c.reference().name());
        g.writeStringField("digest", c.digest());
        if (c.filesReported()) {
          g.writeArrayFieldStart("files");
          for (TreeDigest.Leaf l : c.leaves()) {
            g.writeStartObject();
            g.writeStringField("path", l.path());
            g.writeStringField("sha256", l.sha256());
            g.writeStringField("mode", TreeDigest.formatMode(l.mode()));
            g.writeEndObject();
          }
          g.writeEndArray();
        }
        g.writeEndObject();
      }
      g.writeEndArray();
      if (e.quote().isPresent()) {
        Evidence.Quote q = e.quote().get();
        g.writeObjectFieldStart("quote");
        g.writeNumberField("pcr", q.pcr());
        g.writeStringField("attest", Base64.getEncoder().encodeToString(q.attest()));
        g.writeStringField("signature", Base64.getEncoder().encodeToString(q.signature()));
        g.writeStringField("eventLog", Base64.getEncoder().encodeToString(q.eventLog()));
        g.writeEndObject();
      }
      g.writeEndObject();
    } catch (IOException ex) {
      throw new UncheckedIOException("a ByteArrayOutputStream does not fail", ex);
    }
    return out.toByteArray();
  }
}

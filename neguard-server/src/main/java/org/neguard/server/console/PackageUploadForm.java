package org.neguard.server.console;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import org.apache.tomcat.util.http.fileupload.FileItemIterator;
import org.apache.tomcat.util.http.fileupload.FileItemStream;
import org.apache.tomcat.util.http.fileupload.FileUpload;
import org.apache.tomcat.util.http.fileupload.FileUploadException;
import org.apache.tomcat.util.http.fileupload.servlet.ServletRequestContext;
import org.neguard.api.auth.Role;
import org.neguard.api.pkg.PackageInfo;
import org.neguard.server.access.Allowed;
import org.neguard.server.access.CurrentUser;
import org.neguard.server.pkg.PackageIngest;
import org.neguard.server.pkg.PackageStore;
import org.neguard.server.web.ApiException;
import org.neguard.verdict.Reason;
import org.neguard.verdict.ReasonCode;
import org.neguard.verdict.RefusalException;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;

/**
 * A publisher's upload from the Packages page (SRC-2, issue 18): a {@code multipart/form-data}
 * form whose one file part is streamed into {@link PackageIngest}, the very path of {@code POST
 * /api/packages}: the same size limit (on the declared length before a byte is parsed, then
 * while streaming), the same temp file removed on every refusal, the same publication and
 * vulnerability gates, the same audit row.
 *
 * <p>Why it parses the form itself: Spring's multipart support would spool the whole body to
 * disk (up to its own limits, not the server's) before any handler ran. Here nothing is parsed
 * ahead: the server's multipart parsing is off ({@code spring.servlet.multipart.enabled=false},
 * so Tomcat never reads such a body for a parameter), the CSRF token travels in the form's URL
 * (the only place the CSRF filter can read it without the body), and this handler reads the
 * parts in order with Tomcat's streaming parser: a small {@code _csrf} field may come first (the
 * template engine adds one to every form; it is read and dropped, at most {@link #FIELD_MAX}
 * bytes, at most {@link #MAX_FIELDS} of them, more refused {@code SIZE_LIMIT}), then the file
 * part {@code bundle}, whose bytes go straight to the temp file. Anything else (another field, a
 * second file first, no file) is refused {@code MALFORMED}; what follows the bundle's part is
 * never read.
 */
@Controller
class PackageUploadForm {
  /** What the form's envelope (boundaries, part headers, the small fields) may add. */
  static final long ENVELOPE = 64 * 1024;
  /** The most a small form field may hold. */
  static final int FIELD_MAX = 4096;
  /**
   * The most fields before the file part: the form sends one ({@code _csrf}); two more are
   * slack for a client that repeats it.
   */
  static final int MAX_FIELDS = 3;
  static final String PATH = "/console/packages/upload";

  private final PackageIngest ingest;
  private final PackageStore store;
  private final long maxBytes;

  PackageUploadForm(PackageIngest ingest, PackageStore store,
      @Value("${neguard.max-upload-bytes}") long maxBytes) {
    this.ingest = ingest;
    this.store = store;
    this.maxBytes = maxBytes;
  }

  @PostMapping(PATH)
  @Allowed(Role.PUBLISHER)
  String upload(HttpServletRequest request, HttpServletResponse response, Model model,
      RedirectAttributes redirect) throws IOException {
    long length = request.getContentLengthLong();
    // The most the bundle can have by the declared length: the whole body but its envelope.
    long declared = length < 0 ? -1 : Math.max(0, length - ENVELOPE);
    try {
      PackageIngest.Accepted a = ingest.ingest(CurrentUser.current().username(), declared,
          () -> bundlePart(request, length < 0 ? maxBytes + ENVELOPE : length));
      PackageInfo p = a.info();
      redirect.addFlashAttribute("uploaded", p.name() + " " + p.version()
          + (a.created() ? " stored" : " was stored already (the same file)"));
      return "redirect:/console/packages";
    } catch (ApiException e) {
      // Shown on the packages page with its code, as the API answers it.
      Reason r = e.reasons().get(0);
      response.setStatus(e.status());
      model.addAttribute("refusal", r.code().name() + ": " + r.message());
      model.addAttribute("packages", store.packages());
      return "console/packages";
    }
  }

  /** Positions on the form's file part and returns its bytes, parsing no more than that. */
  static InputStream bundlePart(HttpServletRequest request, long bodyMax)
      throws IOException, RefusalException {
    String type = request.getContentType();
    if (type == null || !type.toLowerCase(java.util.Locale.ROOT)
        .startsWith("multipart/form-data")) {
      throw new RefusalException(ReasonCode.MALFORMED, "the upload form must be sent as"
          + " multipart/form-data with the bundle in its file field 'bundle'");
    }
    FileUpload parser = new FileUpload();
    // The whole body's bound, checked by the parser while it reads (PackageIngest checks the
    // bundle's own bytes): a body without a length (chunked) cannot feed an endless preamble.
    parser.setSizeMax(bodyMax);
    // No setFileCountMax: Tomcat checks it only when it collects a whole request's parts, never
    // in this iterator; the fields are counted here instead.
    int fields = 0;
    try {
      FileItemIterator parts = parser.getItemIterator(new ServletRequestContext(request));
      while (parts.hasNext()) {
        FileItemStream part = parts.next();
        if (part.isFormField() && "_csrf".equals(part.getFieldName())) {
          // Refused on the first field too many, before its value or any later part is read:
          // otherwise a body of thousands of tiny fields is parsed to its end.
          if (++fields > MAX_FIELDS) {
            throw new RefusalException(ReasonCode.SIZE_LIMIT, "the upload form has more than "
                + MAX_FIELDS + " fields before its file; send only the form's field '_csrf' and"
                + " the file field 'bundle'");
          }
          skipField(part);
          continue;
        }
        if (!part.isFormField() && "bundle".equals(part.getFieldName())) {
          return part.openStream();
        }
        throw new RefusalException(ReasonCode.MALFORMED, "the upload form has an unexpected"
            + " field before its file; send only the file field 'bundle'");
      }
    } catch (FileUploadException e) {
      throw new RefusalException(ReasonCode.MALFORMED, "the upload form is not a valid"
          + " multipart/form-data body; send the bundle in the file field 'bundle'");
    }
    throw new RefusalException(ReasonCode.MALFORMED,
        "the upload form has no file; choose a .ngp bundle");
  }

  private static void skipField(FileItemStream part) throws IOException, RefusalException {
    try (InputStream in = part.openStream()) {
      if (in.readNBytes(FIELD_MAX + 1).length > FIELD_MAX) {
        throw new RefusalException(ReasonCode.MALFORMED, "a field of the upload form is"
            + " longer than " + FIELD_MAX + " bytes");
      }
    }
  }
}

package org.neguard.server.deploy;

import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.neguard.api.device.Feedback;
import org.neguard.api.device.Poll;
import org.neguard.server.access.Allowed;
import org.neguard.server.access.CurrentDevice;
import org.neguard.server.pkg.StoredBundles;
import org.neguard.server.web.ApiException;
import org.neguard.verdict.ReasonCode;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The deployment half of the agents' API (agents' port, mutual TLS): poll, bundle download with
 * ranges, feedback (docs/DEPLOYMENTS.md, "The agents' API").
 */
@RestController
@RequestMapping("/api/device/v1")
class AgentDeploymentController {
  private final DeviceOrders orders;
  private final StoredBundles bundles;

  AgentDeploymentController(DeviceOrders orders, StoredBundles bundles) {
    this.orders = orders;
    this.bundles = bundles;
  }

  @GetMapping("/poll")
  @Allowed(device = true)
  ResponseEntity<Poll> poll(
      @RequestHeader(value = HttpHeaders.IF_NONE_MATCH, required = false) String ifNoneMatch) {
    CurrentDevice device = CurrentDevice.required();
    DeviceOrders.PollState state = orders.pollState(device.deviceId(),
        device.certificateSerial());
    if (state.unchangedFor(ifNoneMatch)) {
      return ResponseEntity.status(304).eTag(state.etag()).build();
    }
    return ResponseEntity.ok().eTag(state.etag()).body(orders.poll(state));
  }

  @GetMapping("/bundles/{sha256}")
  @Allowed(device = true)
  void bundle(@PathVariable String sha256,
      @RequestHeader(value = HttpHeaders.RANGE, required = false) String range,
      HttpServletResponse response) throws IOException {
    CurrentDevice device = CurrentDevice.required();
    if (!sha256.matches("[0-9a-f]{64}")) {
      throw ApiException.badInput("not a bundle's SHA-256 (64 lower-case hex digits): "
          + sha256);
    }
    if (!orders.mayDownload(device.deviceId(), sha256)) {
      orders.refuseDownload(device.deviceId(), sha256);
      throw ApiException.of(ReasonCode.NOT_AUTHORIZED,
          "no live order of this device names bundle " + sha256);
    }
    Path file = bundles.file(sha256).filter(Files::isRegularFile).orElseThrow(
        () -> ApiException.of(ReasonCode.IO_ERROR,
            "bundle " + sha256 + " is missing from the package store"));
    long length = Files.size(file);
    ByteRange r = ByteRange.parse(range, length);
    response.setHeader(HttpHeaders.ACCEPT_RANGES, "bytes");
    response.setHeader(HttpHeaders.ETAG, "\"" + sha256 + "\"");
    if (r == ByteRange.UNSATISFIABLE) {
      response.setStatus(416);
      response.setHeader(HttpHeaders.CONTENT_RANGE, "bytes */" + length);
      return;
    }
    long first = r == null ? 0 : r.first();
    long count = r == null ? length : r.last() - r.first() + 1;
    if (r != null) {
      response.setStatus(206);
      response.setHeader(HttpHeaders.CONTENT_RANGE,
          "bytes " + r.first() + "-" + r.last() + "/" + length);
    }
    response.setContentType("application/octet-stream");
    response.setContentLengthLong(count);
    copy(file, first, count, response.getOutputStream());
  }

  private static void copy(Path file, long first, long count, OutputStream out)
      throws IOException {
    try (SeekableByteChannel in = Files.newByteChannel(file)) {
      in.position(first);
      WritableByteChannel to = Channels.newChannel(out);
      ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
      long left = count;
      while (left > 0) {
        buf.clear().limit((int) Math.min(buf.capacity(), left));
        int n = in.read(buf);
        if (n < 0) {
          throw new IOException("bundle file shorter than its length: " + file);
        }
        buf.flip();
        while (buf.hasRemaining()) {
          to.write(buf);
        }
        left -= n;
      }
    }
  }

  @PostMapping("/feedback")
  @Allowed(device = true)
  ResponseEntity<Void> feedback(@RequestBody(required = false) Feedback f) {
    orders.feedback(CurrentDevice.required().deviceId(), f);
    return ResponseEntity.noContent().build();
  }

}

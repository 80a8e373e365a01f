package org.neguard.server.device;

import java.util.List;
import org.neguard.api.device.CertificateIssued;
import org.neguard.api.device.CertificateRequest;
import org.neguard.api.device.EnrollRequest;
import org.neguard.api.device.Enrolled;
import org.neguard.api.device.OrderKey;
import org.neguard.server.access.Allowed;
import org.neguard.server.access.CurrentDevice;
import org.neguard.server.keys.ServerKeys;
import org.neguard.server.web.ApiException;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * The agents' API of devices themselves, on the agents' port only ({@link DeviceAuthentication}):
 * enrollment (the one request without a client certificate), certificate renewal and the
 * order-signing keys. Polls, bundles and feedback are the deployment engine's.
 */
@RestController
@RequestMapping("/api/device/v1")
class AgentController {
  private final Devices devices;
  private final ServerKeys keys;

  AgentController(Devices devices, ServerKeys keys) {
    this.devices = devices;
    this.keys = keys;
  }

  /** Anonymous: the one-time token in the body is the credential. */
  @PostMapping("/enroll")
  @ResponseStatus(HttpStatus.CREATED)
  @Allowed(anonymous = true)
  Enrolled enroll(@RequestBody EnrollRequest body) {
    return devices.enroll(body);
  }

  @PostMapping("/certificate")
  @Allowed(device = true)
  CertificateIssued renew(@RequestBody CertificateRequest body) {
    if (body == null) {
      throw ApiException.badInput("give a body: {csr}");
    }
    return devices.renew(CurrentDevice.current(), body.csr());
  }

  @GetMapping("/order-keys")
  @Allowed(device = true)
  List<OrderKey> orderKeys() {
    return keys.orderKeys();
  }
}

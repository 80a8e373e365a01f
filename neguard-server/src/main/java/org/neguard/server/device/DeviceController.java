package org.neguard.server.device;

import java.util.List;
import org.neguard.api.auth.Role;
import org.neguard.api.deploy.ReasonRequest;
import org.neguard.api.device.Device;
import org.neguard.api.device.EnrollmentToken;
import org.neguard.api.device.EnrollmentTokenRequest;
import org.neguard.server.access.Allowed;
import org.neguard.server.access.CurrentUser;
import org.neguard.server.keys.ServerKeys;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/** Devices as users see them: enrollment tokens, the list, one device, disabling, the CA. */
@RestController
@RequestMapping("/api/devices")
class DeviceController {
  private final Devices devices;
  private final ServerKeys keys;

  DeviceController(Devices devices, ServerKeys keys) {
    this.devices = devices;
    this.keys = keys;
  }

  @PostMapping("/enrollment-tokens")
  @ResponseStatus(HttpStatus.CREATED)
  @Allowed({Role.ADMIN, Role.OPERATOR})
  EnrollmentToken createToken(@RequestBody(required = false) EnrollmentTokenRequest body) {
    return devices.createToken(CurrentUser.actorName(), body);
  }

  @GetMapping
  @Allowed({Role.ADMIN, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  List<Device> list(@RequestParam(required = false) String label,
      @RequestParam(required = false) String neType) {
    return devices.list(label, neType);
  }

  @GetMapping("/{id}")
  @Allowed({Role.ADMIN, Role.OPERATOR, Role.APPROVER, Role.AUDITOR})
  Device get(@PathVariable String id) {
    return devices.get(id);
  }

  @PostMapping("/{id}/disable")
  @Allowed(Role.ADMIN)
  Device disable(@PathVariable String id, @RequestBody(required = false) ReasonRequest body) {
    return devices.disable(CurrentUser.actorName(), id, body == null ? null : body.reason());
  }

  /** The device CA certificate (PEM): what an agent installed out of band trusts. */
  @GetMapping(value = "/ca", produces = MediaType.TEXT_PLAIN_VALUE)
  @Allowed(anyUser = true)
  String ca() {
    return ServerKeys.pem(keys.deviceCa().certificate());
  }
}

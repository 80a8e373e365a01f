package org.neguard.cli.support;

import org.neguard.sign.TrustStore;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code --trust [VENDOR=]CA.pem}: a trust anchor file, optionally bound to a vendor. */
public final class AnchorFileConverter implements ITypeConverter<TrustStore.AnchorFile> {
  /** The option's description, shared by every command that takes {@code --trust}. */
  public static final String HELP = " Prefix a vendor name, VENDOR=CA.pem, to bind the anchor to the"
      + " vendor it speaks for (the manifest's vendor, exactly); several anchors must each be"
      + " bound, a single unbound anchor speaks for any vendor.";

  @Override
  public TrustStore.AnchorFile convert(String value) {
    try {
      return TrustStore.AnchorFile.parse(value);
    } catch (IllegalArgumentException e) {
      // picocli shows this message alone; any other exception would name its class.
      throw new TypeConversionException(e.getMessage());
    }
  }
}

package dev.fanout.gateway;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Objects;

/**
 * Authentication by a shared secret in a header, as Strapi's webhooks carry it ({@code
 * Authorization: Bearer ...} set in the webhook's headers or in {@code webhooks.defaultHeaders}).
 * The header's value must equal one of the configured values exactly. Values are compared as
 * SHA-256 digests with {@link MessageDigest#isEqual}, so the time taken says nothing about the
 * secret, its length included.
 */
final class HeaderSecretAuthenticator implements Authenticator {
  private final String header;
  private final List<byte[]> digests;

  HeaderSecretAuthenticator(String header, List<String> secrets) {
    this.header = Objects.requireNonNull(header, "header");
    this.digests = secrets.stream().map(HeaderSecretAuthenticator::digest).toList();
    if (digests.isEmpty()) {
      throw new IllegalArgumentException("no header secret");
    }
  }

  @Override
  public String authenticate(InboundRequest request) {
    String value = request.single(header);
    if (value == null) {
      throw WebhookRejected.unauthorized("missing header " + header);
    }
    byte[] given = digest(value);
    boolean match = false;
    for (byte[] d : digests) {
      // Every configured value is compared, so which one matched does not show in the time either.
      match |= MessageDigest.isEqual(d, given);
    }
    if (!match) {
      throw WebhookRejected.unauthorized("wrong secret in header " + header);
    }
    return null;
  }

  private static byte[] digest(String value) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  @Override
  public String toString() {
    return "HeaderSecretAuthenticator[" + header + ", " + digests.size() + " secret(s)]";
  }
}

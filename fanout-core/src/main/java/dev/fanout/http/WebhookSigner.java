package dev.fanout.http;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs and verifies requests the Standard Webhooks way: {@code webhook-signature: v1,<base64
 * HMAC-SHA256 of "id.timestamp.body">}.
 *
 * <p>Secrets are base64 strings, with or without the {@code whsec_} prefix, exactly as the reference
 * libraries ({@code standardwebhooks} on npm and Maven Central) take them, so a secret can be shared
 * between a Java sender, a Next.js receiver and a Java receiver unchanged. Decoded secrets must be
 * 24 to 64 bytes; shorter ones are refused. Use {@link #generateSecret()} to make one.
 *
 * <p>The secret never appears in {@link #toString()} or in exception messages. Instances are
 * immutable and thread-safe.
 *
 * @since 0.1
 */
public final class WebhookSigner {
  /** Shortest accepted secret, in bytes (Standard Webhooks: at least 24 bytes). */
  public static final int MIN_SECRET_BYTES = 24;

  /** Longest accepted secret, in bytes (Standard Webhooks: at most 512 bits). */
  public static final int MAX_SECRET_BYTES = 64;

  /** The most signatures a header may list before it is rejected unread. */
  public static final int MAX_SIGNATURES = 16;

  private static final String PREFIX = "whsec_";
  private static final String ALGORITHM = "HmacSHA256";

  private final SecretKeySpec key;

  private WebhookSigner(byte[] secret) {
    if (secret.length < MIN_SECRET_BYTES || secret.length > MAX_SECRET_BYTES) {
      throw new IllegalArgumentException("signing secret must decode to " + MIN_SECRET_BYTES + " to "
          + MAX_SECRET_BYTES + " bytes, got " + secret.length);
    }
    this.key = new SecretKeySpec(secret, ALGORITHM);
  }

  /**
   * Returns a signer for a base64 secret, with or without the {@code whsec_} prefix.
   *
   * @param secret the secret
   * @return the signer
   * @throws IllegalArgumentException if the secret is empty, not base64, or shorter than 24 bytes
   *     once decoded (the message never contains the secret)
   */
  public static WebhookSigner of(String secret) {
    Objects.requireNonNull(secret, "secret");
    String s = secret.trim();
    if (s.startsWith(PREFIX)) {
      s = s.substring(PREFIX.length());
    }
    if (s.isEmpty()) {
      throw new IllegalArgumentException("signing secret is empty");
    }
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "signing secret is not base64 (expected 'whsec_<base64>' or '<base64>')");
    }
    return new WebhookSigner(raw);
  }

  /**
   * Returns a signer for raw secret bytes.
   *
   * @param secret 24 to 64 bytes (copied)
   * @return the signer
   * @throws IllegalArgumentException if the length is out of range
   */
  public static WebhookSigner ofBytes(byte[] secret) {
    return new WebhookSigner(secret.clone());
  }

  /**
   * Generates a new random 32-byte secret in the {@code whsec_<base64>} form.
   *
   * @return the secret
   */
  public static String generateSecret() {
    byte[] raw = new byte[32];
    new SecureRandom().nextBytes(raw);
    return PREFIX + Base64.getEncoder().encodeToString(raw);
  }

  /**
   * Signs a message.
   *
   * @param id the {@code webhook-id}
   * @param timestamp the {@code webhook-timestamp}, in Unix seconds
   * @param body the exact body bytes that are sent
   * @return the {@code webhook-signature} header value, {@code v1,<base64>}
   */
  public String sign(String id, long timestamp, byte[] body) {
    return "v1," + Base64.getEncoder().encodeToString(mac(id, timestamp, body));
  }

  /**
   * Verifies a {@code webhook-signature} header: a space-separated list of {@code version,signature}
   * entries, of which any {@code v1} entry must match. Unknown versions and malformed entries are
   * skipped; a header with more than {@link #MAX_SIGNATURES} entries is rejected. The comparison is
   * constant-time. Timestamps are not checked here; that is the receiver's job.
   *
   * @param id the {@code webhook-id}
   * @param timestamp the {@code webhook-timestamp}, in Unix seconds
   * @param body the raw body bytes as received
   * @param signatureHeader the {@code webhook-signature} header value
   * @return true if a {@code v1} signature matches
   */
  public boolean verify(String id, long timestamp, byte[] body, String signatureHeader) {
    if (signatureHeader == null || signatureHeader.isEmpty() || signatureHeader.length() > 4096) {
      return false;
    }
    String[] entries = signatureHeader.trim().split(" +");
    if (entries.length > MAX_SIGNATURES) {
      return false;
    }
    byte[] expected = mac(id, timestamp, body);
    boolean match = false;
    for (String entry : entries) {
      int comma = entry.indexOf(',');
      if (comma < 0 || !"v1".equals(entry.substring(0, comma))) {
        continue;
      }
      byte[] given;
      try {
        given = Base64.getDecoder().decode(entry.substring(comma + 1));
      } catch (IllegalArgumentException e) {
        continue;
      }
      // Expected first: isEqual's time then depends only on the expected length.
      match |= MessageDigest.isEqual(expected, given);
    }
    return match;
  }

  private byte[] mac(String id, long timestamp, byte[] body) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
      return mac.doFinal(body);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  /**
   * Returns a description that does not reveal the secret.
   *
   * @return {@code WebhookSigner[secret=***]}
   */
  @Override
  public String toString() {
    return "WebhookSigner[secret=***]";
  }
}

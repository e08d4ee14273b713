package dev.fanout.cloudfront;

import dev.fanout.ErrorKind;
import dev.fanout.internal.Futures;
import java.io.IOException;
import java.net.ConnectException;
import java.util.concurrent.CancellationException;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;

/**
 * Sorts what the SDK reports, by CloudFront error code rather than exception class: {@code
 * InvalidationBatchAlreadyExists} has no modelled exception, and codes are what the API documents
 * (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_CreateInvalidation.html#API_CreateInvalidation_Errors).
 * Messages name the distribution and never carry credentials (the SDK's exceptions do not either).
 */
final class CloudFrontErrors {

  static final String TOO_MANY_INVALIDATIONS = "TooManyInvalidationsInProgress";
  static final String BATCH_ALREADY_EXISTS = "InvalidationBatchAlreadyExists";
  static final String ACCESS_DENIED = "AccessDenied";
  static final String NO_SUCH_DISTRIBUTION = "NoSuchDistribution";
  static final String NO_SUCH_INVALIDATION = "NoSuchInvalidation";
  static final String INVALID_ARGUMENT = "InvalidArgument";

  /** What the purger does about a failure. */
  enum Action {
    /** CloudFront's in-flight limit: wait and resend the same batch, inside the deadline. */
    WAIT_FOR_LIMIT,
    /** The CallerReference belongs to another batch: resend once under the long reference. */
    REFERENCE_TAKEN,
    /** Anything else: the SDK already retried what deserves a retry; stop. */
    FAIL
  }

  /** A classified failure. */
  record Failure(Action action, ErrorKind kind, String code, String message, Throwable cause) {}

  private CloudFrontErrors() {}

  static Failure classify(Throwable error, String distributionId, String operation) {
    Throwable t = Futures.unwrap(error);
    String dist = "CloudFront distribution '" + distributionId + "'";
    if (t instanceof AwsServiceException ase) {
      AwsErrorDetails details = ase.awsErrorDetails();
      String code = details == null || details.errorCode() == null ? "" : details.errorCode();
      String vendorMessage =
          details == null || details.errorMessage() == null
              ? ""
              : ": " + Planner.shorten(details.errorMessage());
      int status = ase.statusCode();
      String suffix = " (" + (code.isEmpty() ? "HTTP " + status : code) + ")" + vendorMessage;
      switch (code) {
        case TOO_MANY_INVALIDATIONS:
          return new Failure(
              Action.WAIT_FOR_LIMIT,
              ErrorKind.THROTTLED,
              code,
              dist + " has too many invalidations in progress" + suffix,
              t);
        case BATCH_ALREADY_EXISTS:
          return new Failure(
              Action.REFERENCE_TAKEN,
              ErrorKind.REJECTED,
              code,
              dist
                  + " already has a different invalidation batch under this CallerReference"
                  + suffix,
              t);
        case ACCESS_DENIED:
          return new Failure(
              Action.FAIL,
              ErrorKind.UNAUTHORIZED,
              code,
              dist
                  + ": access denied to "
                  + operation
                  + "; the caller's IAM policy must allow cloudfront:"
                  + operation
                  + " on this distribution"
                  + suffix,
              t);
        case NO_SUCH_DISTRIBUTION:
          return new Failure(
              Action.FAIL, ErrorKind.REJECTED, code, dist + " does not exist" + suffix, t);
        case INVALID_ARGUMENT:
          return new Failure(
              Action.FAIL,
              ErrorKind.REJECTED,
              code,
              dist + " rejected the " + operation + " request as invalid" + suffix,
              t);
        default:
          break;
      }
      if (ase.isThrottlingException()) {
        return new Failure(
            Action.FAIL,
            ErrorKind.THROTTLED,
            code,
            dist + ": " + operation + " still throttled after the SDK's retries" + suffix,
            t);
      }
      ErrorKind kind =
          status == 403 || status == 401 ? ErrorKind.UNAUTHORIZED : ErrorKind.ofStatus(status);
      String what =
          status >= 500 ? " failed on CloudFront's side after the SDK's retries" : " was rejected";
      return new Failure(Action.FAIL, kind, code, dist + ": " + operation + what + suffix, t);
    }
    if (t instanceof CancellationException) {
      return new Failure(
          Action.FAIL, ErrorKind.CANCELLED, "", dist + ": " + operation + " cancelled", t);
    }
    if (t instanceof ApiCallTimeoutException
        || t instanceof ApiCallAttemptTimeoutException
        || hasCause(t, ApiCallAttemptTimeoutException.class)) {
      return new Failure(
          Action.FAIL,
          ErrorKind.TIMEOUT,
          "",
          dist
              + ": "
              + operation
              + " timed out: "
              + Planner.shorten(String.valueOf(t.getMessage())),
          t);
    }
    if (t instanceof SdkClientException || t instanceof IOException) {
      ErrorKind kind = hasCause(t, ConnectException.class) ? ErrorKind.CONNECT : ErrorKind.IO;
      return new Failure(
          Action.FAIL,
          kind,
          "",
          dist
              + ": "
              + operation
              + " could not reach CloudFront: "
              + Planner.shorten(String.valueOf(t.getMessage())),
          t);
    }
    return new Failure(
        Action.FAIL,
        ErrorKind.INTERNAL,
        "",
        dist + ": " + operation + " failed unexpectedly: " + t.getClass().getSimpleName(),
        t);
  }

  private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (type.isInstance(c)) {
        return true;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return false;
  }
}

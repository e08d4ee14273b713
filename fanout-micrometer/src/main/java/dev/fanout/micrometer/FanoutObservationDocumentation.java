package dev.fanout.micrometer;

import io.micrometer.common.docs.KeyName;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationConvention;
import io.micrometer.observation.docs.ObservationDocumentation;

/**
 * The observations fanout records, with their low-cardinality keys (tags of the timers, bounded
 * values only) and high-cardinality keys (span attributes only).
 *
 * <p>No low-cardinality value is ever a path, a tag, an invalidation id or an address: stage and
 * purger names come from the configuration (and at most {@value FanoutObservability#MAX_NAMES}
 * distinct ones are used, later ones become {@code other}), the rest are enum values.
 *
 * @since 0.1
 */
public enum FanoutObservationDocumentation implements ObservationDocumentation {

  /** One invalidation, from its start to its report. */
  INVALIDATION {
    @Override
    public Class<? extends ObservationConvention<? extends Observation.Context>>
        getDefaultConvention() {
      return DefaultInvalidationObservationConvention.class;
    }

    @Override
    public KeyName[] getLowCardinalityKeyNames() {
      return InvalidationKeys.values();
    }

    @Override
    public KeyName[] getHighCardinalityKeyNames() {
      return InvalidationDetails.values();
    }
  },

  /** One stage of one invalidation: discovery and delivery to every replica, or the purges. */
  STAGE {
    @Override
    public Class<? extends ObservationConvention<? extends Observation.Context>>
        getDefaultConvention() {
      return DefaultStageObservationConvention.class;
    }

    @Override
    public KeyName[] getLowCardinalityKeyNames() {
      return StageKeys.values();
    }

    @Override
    public KeyName[] getHighCardinalityKeyNames() {
      return StageDetails.values();
    }
  },

  /** One purger call of a purge stage. */
  PURGE {
    @Override
    public Class<? extends ObservationConvention<? extends Observation.Context>>
        getDefaultConvention() {
      return DefaultPurgeObservationConvention.class;
    }

    @Override
    public KeyName[] getLowCardinalityKeyNames() {
      return PurgeKeys.values();
    }

    @Override
    public KeyName[] getHighCardinalityKeyNames() {
      return PurgeDetails.values();
    }
  },

  /** One invalidation request handled by a replica's {@link ObservedReceiver}. */
  RECEIVE {
    @Override
    public Class<? extends ObservationConvention<? extends Observation.Context>>
        getDefaultConvention() {
      return DefaultReceiveObservationConvention.class;
    }

    @Override
    public KeyName[] getLowCardinalityKeyNames() {
      return ReceiveKeys.values();
    }

    @Override
    public KeyName[] getHighCardinalityKeyNames() {
      return ReceiveDetails.values();
    }
  };

  /**
   * Tags of {@code fanout.invalidation}.
   *
   * @since 0.1
   */
  public enum InvalidationKeys implements KeyName {
    /** {@code invalidate} for {@code Invalidator.invalidate()}, {@code submit} for a coalesced flush. */
    MODE {
      @Override
      public String asString() {
        return "mode";
      }
    },
    /** {@code complete}, {@code incomplete} or {@code superseded}; set when the report is known. */
    OUTCOME {
      @Override
      public String asString() {
        return "outcome";
      }
    }
  }

  /**
   * Span attributes of {@code fanout.invalidation}.
   *
   * @since 0.1
   */
  public enum InvalidationDetails implements KeyName {
    /** The invalidation id (for a coalesced flush, the merged invalidation's). */
    ID {
      @Override
      public String asString() {
        return "fanout.invalidation.id";
      }
    },
    /** How many paths it names. */
    PATHS {
      @Override
      public String asString() {
        return "fanout.paths";
      }
    },
    /** How many tags it names. */
    TAGS {
      @Override
      public String asString() {
        return "fanout.tags";
      }
    },
    /** How many submissions a coalesced flush merged (1 for {@code invalidate()}). */
    SUBMISSIONS {
      @Override
      public String asString() {
        return "fanout.submissions";
      }
    }
  }

  /**
   * Tags of {@code fanout.stage}.
   *
   * @since 0.1
   */
  public enum StageKeys implements KeyName {
    /** The stage name, as configured. */
    STAGE {
      @Override
      public String asString() {
        return "stage";
      }
    },
    /** {@code succeeded}, {@code partial}, {@code failed} or {@code skipped}; set at the end. */
    STATUS {
      @Override
      public String asString() {
        return "status";
      }
    }
  }

  /**
   * Span attributes of {@code fanout.stage}, set at its end from the stage's report.
   *
   * @since 0.1
   */
  public enum StageDetails implements KeyName {
    /** {@code fanout} or {@code purge}. */
    KIND {
      @Override
      public String asString() {
        return "fanout.stage.kind";
      }
    },
    /** Replicas that acknowledged. */
    ACKED {
      @Override
      public String asString() {
        return "fanout.targets.acked";
      }
    },
    /** Replicas that did not acknowledge. */
    FAILED {
      @Override
      public String asString() {
        return "fanout.targets.failed";
      }
    },
    /** Replicas that failed but left the tier. */
    EXCUSED {
      @Override
      public String asString() {
        return "fanout.targets.excused";
      }
    },
    /** Replicas not contacted because of their state. */
    SKIPPED {
      @Override
      public String asString() {
        return "fanout.targets.skipped";
      }
    },
    /** Delivery attempts, retries included. */
    ATTEMPTS {
      @Override
      public String asString() {
        return "fanout.attempts";
      }
    },
    /** The report's one-line summary, naming up to five failed replicas. */
    SUMMARY {
      @Override
      public String asString() {
        return "fanout.stage.summary";
      }
    }
  }

  /**
   * Tags of {@code fanout.purge}.
   *
   * @since 0.1
   */
  public enum PurgeKeys implements KeyName {
    /** The purge stage's name. */
    STAGE {
      @Override
      public String asString() {
        return "stage";
      }
    },
    /** The purger's name ({@code Purger.name()}, e.g. {@code cloudfront:E2QWRUHEXAMPLE}). */
    PURGER {
      @Override
      public String asString() {
        return "purger";
      }
    },
    /** {@code succeeded} or {@code failed}; set at the end. */
    OUTCOME {
      @Override
      public String asString() {
        return "outcome";
      }
    },
    /** The {@code ErrorKind} of a failure in lower case, or {@code none}; set at the end. */
    ERROR_KIND {
      @Override
      public String asString() {
        return "error.kind";
      }
    }
  }

  /**
   * Span attributes of {@code fanout.purge}.
   *
   * @since 0.1
   */
  public enum PurgeDetails implements KeyName {
    /** API requests the purger made (billable calls). */
    REQUESTS {
      @Override
      public String asString() {
        return "fanout.purge.requests";
      }
    },
    /** How many paths and tags were not purged. */
    NOT_PURGED {
      @Override
      public String asString() {
        return "fanout.purge.not_purged";
      }
    },
    /** The vendor's ids of what was submitted (CloudFront invalidation ids, Fastly purge ids). */
    REQUEST_IDS {
      @Override
      public String asString() {
        return "fanout.purge.request_ids";
      }
    }
  }

  /**
   * Tags of {@code fanout.receive}.
   *
   * @since 0.1
   */
  public enum ReceiveKeys implements KeyName {
    /** {@code applied} (2xx), {@code rejected} (4xx) or {@code failed} (5xx); set at the end. */
    OUTCOME {
      @Override
      public String asString() {
        return "outcome";
      }
    },
    /** The HTTP status of the answer; set at the end. */
    STATUS {
      @Override
      public String asString() {
        return "status";
      }
    }
  }

  /**
   * Span attributes of {@code fanout.receive}.
   *
   * @since 0.1
   */
  public enum ReceiveDetails implements KeyName {
    /** The {@code webhook-id} (the invalidation id), once the request was verified and applied. */
    WEBHOOK_ID {
      @Override
      public String asString() {
        return "fanout.webhook.id";
      }
    }
  }
}

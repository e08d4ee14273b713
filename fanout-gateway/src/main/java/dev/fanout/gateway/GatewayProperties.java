package dev.fanout.gateway;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The gateway's own settings, {@code fanout.gateway.*}, next to the starter's {@code fanout.*}
 * (stages, deadline, coalescer, journal) in the same file. Every value is checked at startup by
 * {@link GatewayConfiguration}; a wrong one stops the gateway with a report naming the property.
 *
 * @param maxBodyBytes the largest webhook body accepted (default 262144); larger ones get 413
 * @param tolerance how far a signed request's {@code webhook-timestamp} may be from the clock
 *     (default 5m)
 * @param replayCacheSize how many accepted {@code webhook-id}s are remembered to refuse replays
 *     (default 10000)
 * @param recentInvalidations how many statuses are kept in memory when there is no journal
 *     (default 10000)
 * @param wordpress the WordPress plugin's endpoint
 * @param strapi Strapi's webhook endpoint
 * @param hooks generic JSON webhooks, by name
 */
@ConfigurationProperties("fanout.gateway")
public record GatewayProperties(
    @DefaultValue("262144") int maxBodyBytes,
    @DefaultValue("5m") Duration tolerance,
    @DefaultValue("10000") int replayCacheSize,
    @DefaultValue("10000") int recentInvalidations,
    @DefaultValue WordPress wordpress,
    @DefaultValue Strapi strapi,
    Map<String, Hook> hooks) {

  /**
   * Normalises absent collections to empty ones.
   *
   * @param maxBodyBytes see the record description
   * @param tolerance see the record description
   * @param replayCacheSize see the record description
   * @param recentInvalidations see the record description
   * @param wordpress see the record description
   * @param strapi see the record description
   * @param hooks see the record description
   */
  public GatewayProperties {
    hooks = hooks == null ? Map.of() : hooks;
  }

  /**
   * Paths and tags to invalidate for one kind of content. Templates fill fields of the webhook's
   * JSON body: {@code /posts/{entry.slug}}, {@code post:{entry.id}}; {@code {+post.path}} keeps the
   * slashes of a value that is a path; a leading {@code ?} makes a template optional.
   *
   * @param paths path templates
   * @param tags tag templates
   */
  public record Mapping(List<String> paths, List<String> tags) {
    /**
     * Normalises absent lists to empty ones.
     *
     * @param paths see the record description
     * @param tags see the record description
     */
    public Mapping {
      paths = paths == null ? List.of() : paths;
      tags = tags == null ? List.of() : tags;
    }
  }

  /**
   * The WordPress plugin's endpoint, {@code POST /v1/webhooks/wordpress}, signed the Standard
   * Webhooks way. Enabled when a secret is set.
   *
   * @param secrets the signing secrets ({@code whsec_<base64>}, shared with the plugin); more than
   *     one while rotating
   * @param postTypes mapping per post type; a post type not listed is refused (422). Default: {@code
   *     post} and {@code page}, each its permalink path and {@code <type>:<id>}
   * @param taxonomies mapping per taxonomy; a taxonomy not listed is refused (422). Default: {@code
   *     category} and {@code post_tag}, each its archive path and {@code <taxonomy>:<id>}
   */
  public record WordPress(List<String> secrets, Map<String, Mapping> postTypes,
      Map<String, Mapping> taxonomies) {
    /**
     * Applies the defaults.
     *
     * @param secrets see the record description
     * @param postTypes see the record description
     * @param taxonomies see the record description
     */
    public WordPress {
      secrets = secrets == null ? List.of() : secrets;
      postTypes = postTypes == null || postTypes.isEmpty() ? Map.of(
          "post", new Mapping(List.of("{+post.path}"), List.of("post:{post.id}")),
          "page", new Mapping(List.of("{+post.path}"), List.of("page:{post.id}"))) : postTypes;
      taxonomies = taxonomies == null || taxonomies.isEmpty() ? Map.of(
          "category", new Mapping(List.of("{+term.path}"), List.of("category:{term.id}")),
          "post_tag", new Mapping(List.of("{+term.path}"), List.of("post_tag:{term.id}")))
          : taxonomies;
    }

    /** Returns a description without the secrets. */
    @Override
    public String toString() {
      return "WordPress[" + secrets.size() + " secret(s), postTypes=" + postTypes.keySet()
          + ", taxonomies=" + taxonomies.keySet() + "]";
    }
  }

  /**
   * Strapi's webhook endpoint, {@code POST /v1/webhooks/strapi}. Enabled when a secret is set.
   *
   * @param header the header carrying the secret (default {@code Authorization})
   * @param secrets the header's accepted values, exactly as Strapi sends them (e.g. {@code Bearer
   *     <token>}); more than one while rotating
   * @param events the events handled (default the five {@code entry.*} events); others get 422,
   *     except Strapi's {@code trigger-test}, answered 200
   * @param models mapping per model ({@code model} in the payload, e.g. {@code article}); a model not
   *     listed is refused (422)
   */
  public record Strapi(@DefaultValue("Authorization") String header, List<String> secrets,
      List<String> events, Map<String, Mapping> models) {
    /**
     * Applies the defaults.
     *
     * @param header see the record description
     * @param secrets see the record description
     * @param events see the record description
     * @param models see the record description
     */
    public Strapi {
      secrets = secrets == null ? List.of() : secrets;
      events = events == null || events.isEmpty() ? List.of("entry.create", "entry.update",
          "entry.delete", "entry.publish", "entry.unpublish") : events;
      models = models == null ? Map.of() : models;
    }

    /** Returns a description without the secrets. */
    @Override
    public String toString() {
      return "Strapi[header=" + header + ", " + secrets.size() + " secret(s), events=" + events
          + ", models=" + models.keySet() + "]";
    }
  }

  /**
   * A generic JSON webhook, {@code POST /v1/webhooks/hooks/<name>}: authenticated by Standard
   * Webhooks signing secrets or by a header secret (exactly one of the two), mapped by templates.
   * The optional {@code model}, {@code id}, {@code updated-at} and {@code event} templates identify
   * a change, so that the same change announced twice is dropped as a duplicate.
   *
   * @param signingSecrets Standard Webhooks secrets ({@code whsec_<base64>})
   * @param header the header carrying a shared secret
   * @param headerSecrets the header's accepted values
   * @param model template of the content type, e.g. {@code {sys.contentType.sys.id}}
   * @param id template of the entry's id
   * @param updatedAt template of the entry's modification time
   * @param event template of the event name
   * @param events the events handled (empty: all)
   * @param paths path templates
   * @param tags tag templates
   */
  public record Hook(List<String> signingSecrets, String header, List<String> headerSecrets,
      String model, String id, String updatedAt, String event, List<String> events,
      List<String> paths, List<String> tags) {
    /**
     * Normalises absent lists to empty ones.
     *
     * @param signingSecrets see the record description
     * @param header see the record description
     * @param headerSecrets see the record description
     * @param model see the record description
     * @param id see the record description
     * @param updatedAt see the record description
     * @param event see the record description
     * @param events see the record description
     * @param paths see the record description
     * @param tags see the record description
     */
    public Hook {
      signingSecrets = signingSecrets == null ? List.of() : signingSecrets;
      headerSecrets = headerSecrets == null ? List.of() : headerSecrets;
      events = events == null ? List.of() : events;
      paths = paths == null ? List.of() : paths;
      tags = tags == null ? List.of() : tags;
    }

    /** Returns a description without the secrets. */
    @Override
    public String toString() {
      return "Hook[header=" + header + ", paths=" + paths + ", tags=" + tags + "]";
    }
  }
}

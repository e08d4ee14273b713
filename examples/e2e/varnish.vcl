vcl 4.1;
# The cache tier of the end-to-end stack: one Varnish replica in front of the three Next.js
# replicas. Caches post pages for an hour (ISR pages carry no useful TTL for a shared cache),
# indexes them by the `xkey` header the origin sends, and accepts purges from loopback only:
#   PURGE /any/url                      drops that URL;
#   PURGE / with `xkey-purge: k1 k2`    drops every object tagged with one of the keys
#                                       (what fanout's HttpNotifier.varnishXkey() sends).

import directors;
import std;
import xkey;

backend web_0 { .host = "127.0.0.2"; .port = "3000"; .connect_timeout = 1s; }
backend web_1 { .host = "127.0.0.3"; .port = "3000"; .connect_timeout = 1s; }
backend web_2 { .host = "127.0.0.4"; .port = "3000"; .connect_timeout = 1s; }

# Loopback only, never a network range: in a cluster this would be the sender's pod network.
acl purgers {
  "127.0.0.0"/8;
  "::1";
}

sub vcl_init {
  new web = directors.round_robin();
  web.add_backend(web_0);
  web.add_backend(web_1);
  web.add_backend(web_2);
}

sub vcl_recv {
  if (req.method == "PURGE") {
    if (client.ip !~ purgers) {
      return (synth(403, "Forbidden"));
    }
    if (req.http.xkey-purge) {
      set req.http.x-purged = xkey.purge(req.http.xkey-purge);
      return (synth(200, "Purged " + req.http.x-purged + " objects"));
    }
    return (purge);
  }
  # Keys are for the cache tier to read from the origin, never for clients to send.
  unset req.http.xkey;
  unset req.http.xkey-purge;
  if (req.url ~ "^/api/") {
    return (pass);
  }
}

sub vcl_backend_fetch {
  # Round robin per fetch, so a retry after a failed fetch goes to the next replica.
  set bereq.backend = web.backend();
}

sub vcl_backend_response {
  if (bereq.url ~ "^/posts/" && beresp.status == 200) {
    # A fixed TTL and no grace: after a purge the next request waits for a fresh fetch.
    set beresp.ttl = 1h;
    set beresp.grace = 0s;
    set beresp.keep = 0s;
    unset beresp.http.set-cookie;
    return (deliver);
  }
  set beresp.uncacheable = true;
  set beresp.ttl = 0s;
  return (deliver);
}

sub vcl_backend_error {
  # A replica that is down (a crashed pod): try the next one.
  if (bereq.retries < 2) {
    return (retry);
  }
}

sub vcl_deliver {
  # xkey and Surrogate-Key go on to the client, so a CDN in front of this tier can index by them.
  if (obj.hits > 0) {
    set resp.http.x-cache = "HIT";
  } else {
    set resp.http.x-cache = "MISS";
  }
  set resp.http.x-served-by = server.identity;
}

sub vcl_synth {
  set resp.http.content-type = "text/plain; charset=utf-8";
  set resp.body = resp.reason;
  return (deliver);
}

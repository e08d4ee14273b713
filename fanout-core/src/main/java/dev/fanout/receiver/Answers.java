package dev.fanout.receiver;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fanout.InvalidationReport;
import dev.fanout.StageReport;
import dev.fanout.TargetResult;
import java.util.Locale;

/** The JSON bodies the receiver answers with. Small and bounded: never a stack trace. */
final class Answers {
  static final String APPLIED = "applied";
  static final String DUPLICATE = "duplicate";

  /** Peers listed in a relay answer; a sender reads only the first kilobytes of an answer. */
  static final int MAX_LISTED_PEERS = 64;

  private static final ObjectMapper JSON = new ObjectMapper();

  private Answers() {}

  static String error(String reason) {
    ObjectNode root = JSON.createObjectNode();
    root.put("error", reason);
    return write(root);
  }

  static String applied(String id, String result) {
    ObjectNode root = JSON.createObjectNode();
    root.put("id", id);
    root.put("result", result);
    return write(root);
  }

  static String relayFailed(String id, String local) {
    ObjectNode root = JSON.createObjectNode();
    root.put("error", "relay to peers did not finish");
    root.put("id", id);
    root.put("result", local);
    return write(root);
  }

  /**
   * The relay's answer. The first field says what matters, because a sender's report quotes only
   * the first characters of a failed answer.
   */
  static String relayed(String id, String local, InvalidationReport report) {
    StageReport stage = report.stages().get(0);
    ObjectNode root = JSON.createObjectNode();
    if (!report.isComplete()) {
      root.put("error", stage.failed() > 0
          ? stage.failed() + " of " + stage.expected() + " peers failed"
          : "relay failed" + (stage.detail() == null ? "" : ": " + stage.detail()));
    }
    root.put("id", id);
    root.put("result", local);
    ObjectNode peers = root.putObject("peers");
    peers.put("status", stage.status().name().toLowerCase(Locale.ROOT));
    peers.put("acked", stage.acked());
    peers.put("expected", stage.expected());
    peers.put("failed", stage.failed());
    if (stage.detail() != null) {
      peers.put("detail", stage.detail());
    }
    peers.put("elapsedMs", stage.elapsed().toMillis());
    ArrayNode list = peers.putArray("targets");
    int listed = 0;
    // Failures first, so they survive truncation.
    for (boolean failuresPass : new boolean[] {true, false}) {
      for (TargetResult t : stage.targets()) {
        boolean ok = t.outcome() == TargetResult.Outcome.ACKED;
        if (ok == failuresPass || listed == MAX_LISTED_PEERS) {
          continue;
        }
        listed++;
        ObjectNode n = list.addObject();
        n.put("peer", t.endpoint().authority());
        if (t.endpoint().name() != null) {
          n.put("name", t.endpoint().name());
        }
        n.put("outcome", t.outcome().name().toLowerCase(Locale.ROOT));
        if (t.status() > 0) {
          n.put("status", t.status());
        }
        n.put("attempts", t.attempts());
        if (t.errorKind() != null) {
          n.put("kind", t.errorKind().name().toLowerCase(Locale.ROOT));
        }
        if (t.error() != null) {
          n.put("error", RequestVerifier.shorten(t.error()));
        }
      }
    }
    if (stage.targets().size() > listed) {
      peers.put("unlisted", stage.targets().size() - listed);
    }
    return write(root);
  }

  private static String write(ObjectNode root) {
    try {
      return JSON.writeValueAsString(root);
    } catch (JsonProcessingException e) {
      return "{\"error\":\"internal error\"}";
    }
  }
}

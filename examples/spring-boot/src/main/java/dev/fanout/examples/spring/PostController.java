package dev.fanout.examples.spring;

import dev.fanout.InvalidationReport;
import java.util.Map;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /posts/{id}} through the cache; {@code PUT /posts/{id}} updates and answers the report. */
@RestController
public class PostController {
  private final PostService service;

  public PostController(PostService service) {
    this.service = service;
  }

  @GetMapping("/posts/{id}")
  public ResponseEntity<Post> get(@PathVariable long id) {
    return ResponseEntity.of(service.find(id));
  }

  /** Answers once every replica and the CDN were invalidated (or with what failed). */
  @PutMapping("/posts/{id}")
  public ResponseEntity<Map<String, Object>> put(@PathVariable long id, @RequestBody Map<String, String> body) {
    return service.update(id, body.getOrDefault("title", "")).map(f -> {
      InvalidationReport report = f.join();
      return ResponseEntity.status(report.isComplete() ? 200 : 502).body(Map.<String, Object>of(
          "complete", report.isComplete(), "report", report.summary()));
    }).orElse(ResponseEntity.notFound().build());
  }
}

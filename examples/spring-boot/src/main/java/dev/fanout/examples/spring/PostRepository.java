package dev.fanout.examples.spring;

import java.util.Optional;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Repository;

/** Posts in the shared database, over plain JDBC. */
@Repository
public class PostRepository {
  private final JdbcTemplate jdbc;

  public PostRepository(JdbcTemplate jdbc) {
    this.jdbc = jdbc;
  }

  public Optional<Post> find(long id) {
    return jdbc.query("select id, title, version from post where id = ?",
        (rs, n) -> new Post(rs.getLong(1), rs.getString(2), rs.getLong(3)), id).stream().findFirst();
  }

  /** Sets the title and raises the version; returns the new version, or empty if there is no such post. */
  public Optional<Long> update(long id, String title) {
    int rows = jdbc.update("update post set title = ?, version = version + 1 where id = ?", title, id);
    if (rows == 0) {
      return Optional.empty();
    }
    return Optional.ofNullable(jdbc.queryForObject("select version from post where id = ?", Long.class, id));
  }
}

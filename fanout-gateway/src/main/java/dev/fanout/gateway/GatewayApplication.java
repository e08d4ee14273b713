package dev.fanout.gateway;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.PropertySource;

/**
 * The gateway: {@code java -jar fanout-gateway-exec.jar
 * --spring.config.additional-location=file:gateway.yml}. The YAML file holds the starter's {@code
 * fanout.*} properties (stages, deadline, coalescer, journal) and the gateway's {@code
 * fanout.gateway.*} (sources and mappings); see {@code fanout-gateway/README.md}.
 *
 * <p>Spring Boot's data source configuration is replaced by {@link GatewayConfiguration.Database},
 * which builds one only when {@code spring.datasource.url} is set. The gateway's defaults (the
 * port, the probes) are in {@code dev/fanout/gateway/defaults.properties}, below any file of the
 * user's.
 */
@SpringBootConfiguration(proxyBeanMethods = false)
@EnableAutoConfiguration(exclude = DataSourceAutoConfiguration.class)
@Import({GatewayConfiguration.class, GatewayConfiguration.Database.class})
@PropertySource("classpath:dev/fanout/gateway/defaults.properties")
public class GatewayApplication {

  /** Creates the application; Spring instantiates it. */
  public GatewayApplication() {}

  /**
   * Starts the gateway.
   *
   * @param args Spring Boot's command-line arguments
   */
  public static void main(String[] args) {
    SpringApplication.run(GatewayApplication.class, args);
  }
}

package dev.fanout.spring;

import dev.fanout.Invalidator;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Registers {@link TransactionalInvalidator} when spring-tx is on the class path and the
 * application has an {@link Invalidator} (its own or the starter's).
 *
 * @since 0.1
 */
@AutoConfiguration(after = FanoutAutoConfiguration.class)
@ConditionalOnClass(TransactionSynchronizationManager.class)
@ConditionalOnBean(Invalidator.class)
public class FanoutTransactionAutoConfiguration {

  /** Creates the configuration; Spring Boot instantiates it. */
  public FanoutTransactionAutoConfiguration() {}

  /**
   * The after-commit front of the invalidator.
   *
   * @param invalidator the invalidator
   * @return the bean
   */
  @Bean
  @ConditionalOnMissingBean
  public TransactionalInvalidator fanoutTransactionalInvalidator(Invalidator invalidator) {
    return new TransactionalInvalidator(invalidator);
  }
}

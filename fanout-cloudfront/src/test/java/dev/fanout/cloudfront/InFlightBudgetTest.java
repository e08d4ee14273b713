package dev.fanout.cloudfront;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fanout.testing.ManualClock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Tests for {@link InFlightBudget}: the purger's own count of what may still be in progress. */
class InFlightBudgetTest {

  private final ManualClock clock = new ManualClock();
  private final InFlightBudget budget = new InFlightBudget(3_000, 15, clock);

  @Test
  void grantsAtOnceWhatFitsAndQueuesWhatDoesNot() {
    // Given
    CompletableFuture<InFlightBudget.Reservation> a = budget.acquire(2_000, 10);

    // When
    CompletableFuture<InFlightBudget.Reservation> b = budget.acquire(1_500, 0);
    CompletableFuture<InFlightBudget.Reservation> c = budget.acquire(0, 6);

    // Then: paths and wildcards are separate budgets, each enforced
    assertThat(a).isCompleted();
    assertThat(b).isNotDone();
    assertThat(c).isNotDone();
    assertThat(budget.inFlightPaths()).isEqualTo(2_000);
    assertThat(budget.inFlightWildcards()).isEqualTo(10);
    assertThat(budget.hasWaiters()).isTrue();
  }

  @Test
  void releasingGrantsWaitersInArrivalOrderWithoutOvertaking() {
    // Given: the head needs more than is free, the one behind it would fit
    InFlightBudget.Reservation a = budget.acquire(2_500, 0).join();
    CompletableFuture<InFlightBudget.Reservation> big = budget.acquire(3_000, 0);
    CompletableFuture<InFlightBudget.Reservation> small = budget.acquire(100, 0);
    assertThat(small).isNotDone();

    // When
    budget.release(a);

    // Then
    assertThat(big).isCompleted();
    assertThat(small).isNotDone();
    budget.release(big.join());
    assertThat(small).isCompleted();
    assertThat(budget.inFlightPaths()).isEqualTo(100);
  }

  @Test
  void completionByInvalidationIdReleasesAndADuplicateBindingIsGivenBack() {
    // Given
    InFlightBudget.Reservation first = budget.acquire(1_000, 0).join();
    budget.bind(first, "I1");
    InFlightBudget.Reservation resent = budget.acquire(1_000, 0).join();

    // When: CloudFront answers the resend with the same invalidation
    budget.bind(resent, "I1");

    // Then
    assertThat(budget.inFlightPaths()).isEqualTo(1_000);
    budget.completed("I1");
    assertThat(budget.inFlightPaths()).isZero();
    budget.release(first);
    assertThat(budget.inFlightPaths()).isZero();
  }

  @Test
  void aCancelledWaiterLeavesTheQueueAndLetsTheNextOneThrough() {
    // Given
    InFlightBudget.Reservation a = budget.acquire(2_000, 0).join();
    CompletableFuture<InFlightBudget.Reservation> big = budget.acquire(2_000, 0);
    CompletableFuture<InFlightBudget.Reservation> small = budget.acquire(500, 0);

    // When
    big.cancel(false);

    // Then
    assertThat(small).isCompleted();
    assertThat(budget.hasWaiters()).isFalse();
    budget.release(a);
    assertThat(budget.inFlightPaths()).isEqualTo(500);
  }

  @Test
  void reservationsWhoseStatusCannotBeReadExpire() {
    // Given
    InFlightBudget.Reservation old = budget.acquire(1_000, 1).join();
    budget.bind(old, "I1");
    clock.advance(Duration.ofMinutes(20));
    budget.acquire(10, 0).join();

    // When
    budget.expire(clock.instant().minus(CloudFrontPurger.ASSUME_COMPLETED_AFTER));

    // Then
    assertThat(budget.inFlightPaths()).isEqualTo(10);
    assertThat(budget.inFlightWildcards()).isZero();
    assertThat(budget.oldestInvalidationIds(10)).isEmpty();
  }
}

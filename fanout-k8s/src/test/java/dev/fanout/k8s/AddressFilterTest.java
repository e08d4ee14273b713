package dev.fanout.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Tests for {@link AddressFilter}, the SSRF guard shared by both discoveries. */
class AddressFilterTest {

  private static boolean accepts(AddressFilter f, String address) {
    return f.accepts(AddressFilter.parseLiteral(address));
  }

  private static AddressFilter allow(String... cidrs) {
    return new AddressFilter(java.util.Arrays.stream(cidrs).map(AddressFilter.Cidr::parse).toList());
  }

  @ParameterizedTest(name = "{0} accepted by default: {1}")
  @CsvSource({
      "10.244.1.5, true",
      "192.168.1.1, true",
      "fd00::5, true",
      "2001:db8::1, true",
      "127.0.0.1, false",
      "127.9.9.9, false",
      "169.254.169.254, false",
      "169.254.0.1, false",
      "100.100.100.200, false",
      "168.63.129.16, false",
      "0.0.0.0, false",
      "224.0.0.1, false",
      "::1, false",
      "::, false",
      "fe80::1, false",
      "fd00:ec2::254, false",
      "ff02::1, false",
      "::ffff:127.0.0.1, false",
      "::ffff:169.254.169.254, false",
  })
  void defaultDropsLoopbackLinkLocalAndMetadata(String address, boolean accepted) {
    assertThat(accepts(AddressFilter.DEFAULT, address)).isEqualTo(accepted);
  }

  @Test
  void anAllowlistNoWiderThanADeniedRangeReopensIt() {
    AddressFilter loopback = allow("127.0.0.0/8");
    AddressFilter everything = allow("0.0.0.0/0", "::/0");
    AddressFilter metadata = allow("169.254.169.254/32");

    assertThat(accepts(loopback, "127.0.0.1")).isTrue();
    assertThat(accepts(loopback, "10.0.0.1")).isFalse();
    assertThat(accepts(everything, "10.0.0.1")).isTrue();
    assertThat(accepts(everything, "127.0.0.1")).isFalse();
    assertThat(accepts(everything, "169.254.169.254")).isFalse();
    assertThat(accepts(everything, "fe80::1")).isFalse();
    assertThat(accepts(metadata, "169.254.169.254")).isTrue();
    assertThat(accepts(metadata, "169.254.169.253")).isFalse();
  }

  @Test
  void aPodCidrAllowlistDropsEverythingElse() {
    AddressFilter pods = allow("10.244.0.0/16", "fd00:10:244::/56");

    assertThat(accepts(pods, "10.244.3.7")).isTrue();
    assertThat(accepts(pods, "10.245.0.1")).isFalse();
    assertThat(accepts(pods, "fd00:10:244::9")).isTrue();
    assertThat(accepts(pods, "fd00:10:245::9")).isFalse();
  }

  @Test
  void cidrsAreParsedStrictly() {
    assertThat(AddressFilter.Cidr.parse("10.1.2.3/8").toString()).isEqualTo("10.0.0.0/8");
    assertThat(AddressFilter.Cidr.parse("10.1.2.3").prefix()).isEqualTo(32);
    assertThat(AddressFilter.Cidr.parse("fd00::1/8").toString()).isEqualTo("fd00:0:0:0:0:0:0:0/8");
    for (String bad : List.of("10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/x", "host.example/8",
        "", "fe80::1%eth0/64", "::/129")) {
      assertThatThrownBy(() -> AddressFilter.Cidr.parse(bad)).as(bad)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("CIDR");
    }
  }

  @Test
  void literalsAreNeverLookedUp() {
    assertThat(AddressFilter.parseLiteral("localhost")).isNull();
    assertThat(AddressFilter.parseLiteral("web.shop.svc.cluster.local")).isNull();
    assertThat(AddressFilter.DEFAULT.acceptsLiteral("localhost", "test")).isFalse();
    assertThat(AddressFilter.parseLiteral("[fd00::1]")).isNotNull();
  }
}

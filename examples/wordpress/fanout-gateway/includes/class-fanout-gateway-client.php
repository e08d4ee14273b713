<?php
/**
 * The plugin's core: builds the payloads, keeps the outbox, signs and sends, reads statuses.
 *
 * It uses only a handful of WordPress functions (options, post meta, the HTTP API, cron), so it
 * runs the same inside WordPress and under php-cli with a small shim (see examples/wordpress/test).
 *
 * @package fanout-gateway
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Signs and sends change notices to fanout-gateway; retries what failed; never blocks the editor.
 *
 * An editor's save only records the change in the outbox (an option, one entry per post or term,
 * so the several hooks of one save become one notice) and schedules a cron event; the notice is
 * sent by that cron event, with a short timeout, outside the editor's request. A notice that fails
 * for a reason that may pass (no connection, a timeout, 408, 429, 5xx) stays in the outbox and is
 * sent again later with the same webhook-id, backing off from 30 s to an hour, up to 12 attempts.
 * A refusal (any other 4xx) is not retried: the reason is kept on the post for the editor.
 */
final class FanoutGateway_Client {
	const OUTBOX_OPTION = 'fanout_gateway_outbox';
	const CRON_HOOK     = 'fanout_gateway_flush';
	const META_ID       = '_fanout_gateway_invalidation';
	const META_ERROR    = '_fanout_gateway_error';
	const META_FINAL    = '_fanout_gateway_final';
	const MAX_ATTEMPTS  = 12;
	const TIMEOUT       = 5;

	/** @var string The gateway's base URL, e.g. http://fanout-gateway.cms.svc:8080 */
	private $url;

	/** @var string The Standard Webhooks secret, whsec_<base64>. */
	private $secret;

	/**
	 * @param string $url    The gateway's base URL.
	 * @param string $secret The signing secret shared with the gateway (fanout.gateway.wordpress.secrets).
	 * @throws InvalidArgumentException If the secret is not whsec_<base64 of at least 24 bytes>.
	 */
	public function __construct( $url, $secret ) {
		$this->url    = rtrim( (string) $url, '/' );
		$this->secret = (string) $secret;
		// Checked here, so a wrong secret shows on the post instead of failing the cron event.
		self::sign( $this->secret, 'check', 0, '' );
	}

	/**
	 * Signs a message the Standard Webhooks way, as fanout's WebhookSigner does.
	 *
	 * @param string $secret    whsec_<base64> or <base64>.
	 * @param string $id        The webhook-id.
	 * @param int    $timestamp The webhook-timestamp, Unix seconds.
	 * @param string $body      The exact body bytes.
	 * @return string The webhook-signature header value, v1,<base64>.
	 */
	public static function sign( $secret, $id, $timestamp, $body ) {
		$s = trim( $secret );
		if ( 0 === strpos( $s, 'whsec_' ) ) {
			$s = substr( $s, 6 );
		}
		$key = base64_decode( $s, true );
		if ( false === $key || strlen( $key ) < 24 ) {
			// Never the secret itself in a message.
			throw new InvalidArgumentException( 'the fanout-gateway secret must be whsec_<base64 of at least 24 bytes>' );
		}
		return 'v1,' . base64_encode( hash_hmac( 'sha256', $id . '.' . $timestamp . '.' . $body, $key, true ) );
	}

	/**
	 * The payload of a post change.
	 *
	 * @param WP_Post $post  The post.
	 * @param string  $event save, transition or delete.
	 * @return array
	 */
	public static function post_payload( $post, $event ) {
		$link = get_permalink( $post );
		$path = $link ? wp_parse_url( $link, PHP_URL_PATH ) : null;
		return array(
			'kind'  => 'post',
			'event' => $event,
			'post'  => array(
				'id'           => (int) $post->ID,
				'type'         => (string) $post->post_type,
				'status'       => (string) $post->post_status,
				'slug'         => (string) $post->post_name,
				'path'         => $path ? $path : '/',
				'modified_gmt' => self::iso( $post->post_modified_gmt ),
			),
		);
	}

	/**
	 * The payload of a term change.
	 *
	 * @param WP_Term|object $term     The term.
	 * @param string         $taxonomy The taxonomy.
	 * @param string         $event    create, edit or delete.
	 * @return array
	 */
	public static function term_payload( $term, $taxonomy, $event ) {
		$link = get_term_link( $term, $taxonomy );
		$path = ( is_string( $link ) && '' !== $link ) ? wp_parse_url( $link, PHP_URL_PATH ) : null;
		return array(
			'kind'  => 'term',
			'event' => $event,
			'term'  => array(
				'id'       => (int) $term->term_id,
				'taxonomy' => (string) $taxonomy,
				'slug'     => (string) $term->slug,
				'path'     => $path ? $path : '/',
			),
		);
	}

	private static function iso( $gmt ) {
		if ( empty( $gmt ) || '0000-00-00 00:00:00' === $gmt ) {
			return null;
		}
		return str_replace( ' ', 'T', $gmt ) . 'Z';
	}

	/**
	 * Records a change in the outbox and schedules the cron event that sends it. Sends nothing.
	 *
	 * @param string $key     post:<id> or term:<id>: a later change of the same object replaces an
	 *                        unsent one, so one save sends one notice.
	 * @param array  $payload The payload.
	 */
	public function enqueue( $key, array $payload ) {
		$outbox         = $this->outbox();
		$outbox[ $key ] = array(
			'payload'    => $payload,
			'webhook_id' => 'wp_' . str_replace( '-', '', wp_generate_uuid4() ),
			'attempts'   => 0,
			'next_at'    => 0,
		);
		update_option( self::OUTBOX_OPTION, $outbox, false );
		if ( ! wp_next_scheduled( self::CRON_HOOK ) ) {
			wp_schedule_single_event( time(), self::CRON_HOOK );
		}
	}

	/**
	 * Returns the outbox: key => entry.
	 *
	 * @return array
	 */
	public function outbox() {
		$o = get_option( self::OUTBOX_OPTION, array() );
		return is_array( $o ) ? $o : array();
	}

	/**
	 * Sends every due entry of the outbox (the cron event's work).
	 *
	 * @param int|null $now The time to consider due; the current time by default.
	 * @return array key => outcome (accepted, duplicate, retry, refused, gave-up), for logs and tests.
	 */
	public function flush( $now = null ) {
		$now      = null === $now ? time() : (int) $now;
		$outcomes = array();
		foreach ( $this->outbox() as $key => $entry ) {
			if ( $entry['next_at'] > $now ) {
				continue;
			}
			$outcome          = $this->deliver( $key, $entry, $now );
			$outcomes[ $key ] = $outcome;
		}
		$outbox = $this->outbox();
		if ( ! empty( $outbox ) ) {
			$next = min( array_map( function ( $e ) { return $e['next_at']; }, $outbox ) );
			if ( ! wp_next_scheduled( self::CRON_HOOK ) ) {
				wp_schedule_single_event( max( $next, time() ), self::CRON_HOOK );
			}
		}
		return $outcomes;
	}

	private function deliver( $key, array $entry, $now ) {
		$body     = wp_json_encode( $entry['payload'] );
		$ts       = time();
		$response = wp_remote_post(
			$this->url . '/v1/webhooks/wordpress',
			array(
				'timeout'     => self::TIMEOUT,
				'redirection' => 0,
				'headers'     => array(
					'Content-Type'      => 'application/json',
					'webhook-id'        => $entry['webhook_id'],
					'webhook-timestamp' => (string) $ts,
					'webhook-signature' => self::sign( $this->secret, $entry['webhook_id'], $ts, $body ),
				),
				'body'        => $body,
			)
		);
		$code   = is_wp_error( $response ) ? 0 : (int) wp_remote_retrieve_response_code( $response );
		$answer = is_wp_error( $response ) ? array() : json_decode( (string) wp_remote_retrieve_body( $response ), true );
		$answer = is_array( $answer ) ? $answer : array();
		$post   = 'post' === $entry['payload']['kind'] ? (int) $entry['payload']['post']['id'] : 0;

		// 409: this webhook-id was accepted already (an earlier answer was lost); the id is in it.
		if ( ( $code >= 200 && $code < 300 ) || 409 === $code ) {
			$this->done( $key );
			if ( $post && ! empty( $answer['id'] ) ) {
				update_post_meta( $post, self::META_ID, (string) $answer['id'] );
				delete_post_meta( $post, self::META_ERROR );
			}
			return 409 === $code ? 'duplicate' : ( isset( $answer['result'] ) ? (string) $answer['result'] : 'accepted' );
		}
		$retryable = 0 === $code || 408 === $code || 429 === $code || $code >= 500;
		if ( ! $retryable || $entry['attempts'] + 1 >= self::MAX_ATTEMPTS ) {
			$this->done( $key );
			if ( $post ) {
				$why = isset( $answer['error'] ) ? (string) $answer['error'] : ( is_wp_error( $response ) ? $response->get_error_message() : 'HTTP ' . $code );
				update_post_meta( $post, self::META_ERROR, $why );
			}
			return $retryable ? 'gave-up' : 'refused';
		}
		$delay = min( 3600, 30 * ( 1 << $entry['attempts'] ) );
		$after = is_wp_error( $response ) ? 0 : (int) wp_remote_retrieve_header( $response, 'retry-after' );
		$outbox = $this->outbox();
		if ( isset( $outbox[ $key ] ) && $outbox[ $key ]['webhook_id'] === $entry['webhook_id'] ) {
			$outbox[ $key ]['attempts'] = $entry['attempts'] + 1;
			$outbox[ $key ]['next_at']  = $now + max( $delay, min( $after, 3600 ) );
			update_option( self::OUTBOX_OPTION, $outbox, false );
		}
		return 'retry';
	}

	private function done( $key ) {
		$outbox = $this->outbox();
		unset( $outbox[ $key ] );
		update_option( self::OUTBOX_OPTION, $outbox, false );
	}

	/**
	 * Asks the gateway where an invalidation stands (a signed GET with an empty body).
	 *
	 * @param string $id The invalidation id the gateway answered.
	 * @return array|null The status (state, live, summary, ...), or null when it cannot be read.
	 */
	public function status( $id ) {
		$webhook_id = 'status_' . str_replace( '-', '', wp_generate_uuid4() );
		$ts         = time();
		$response   = wp_remote_get(
			$this->url . '/v1/invalidations/' . rawurlencode( $id ),
			array(
				'timeout'     => 3,
				'redirection' => 0,
				'headers'     => array(
					'webhook-id'        => $webhook_id,
					'webhook-timestamp' => (string) $ts,
					'webhook-signature' => self::sign( $this->secret, $webhook_id, $ts, '' ),
				),
			)
		);
		if ( is_wp_error( $response ) || 200 !== (int) wp_remote_retrieve_response_code( $response ) ) {
			return null;
		}
		$status = json_decode( (string) wp_remote_retrieve_body( $response ), true );
		return is_array( $status ) ? $status : null;
	}

	/**
	 * A short state for the posts list, from what the post already holds (no request is made per
	 * row): refused, queued, in progress, live everywhere, or not live everywhere.
	 *
	 * @param int $post_id The post.
	 * @return string Plain text, empty when nothing was recorded.
	 */
	public function short_state( $post_id ) {
		if ( get_post_meta( $post_id, self::META_ERROR, true ) ) {
			return 'refused';
		}
		foreach ( $this->outbox() as $entry ) {
			if ( 'post' === $entry['payload']['kind'] && (int) $entry['payload']['post']['id'] === (int) $post_id ) {
				return 'queued';
			}
		}
		$id = get_post_meta( $post_id, self::META_ID, true );
		if ( ! $id ) {
			return '';
		}
		$final = get_post_meta( $post_id, self::META_FINAL, true );
		if ( ! is_array( $final ) || ! isset( $final['id'] ) || $final['id'] !== $id ) {
			return 'in progress';
		}
		return ! empty( $final['live'] ) ? 'live everywhere' : 'not live everywhere';
	}

	/**
	 * The editor's line for a post: where its last change stands.
	 *
	 * @param int $post_id The post.
	 * @return string Plain text (escape it for HTML).
	 */
	public function describe( $post_id ) {
		$error = get_post_meta( $post_id, self::META_ERROR, true );
		if ( $error ) {
			return 'Cache refresh refused: ' . $error;
		}
		foreach ( $this->outbox() as $entry ) {
			if ( 'post' === $entry['payload']['kind'] && (int) $entry['payload']['post']['id'] === (int) $post_id ) {
				return $entry['attempts'] > 0
					? 'Cache refresh waiting to be sent (attempt ' . ( $entry['attempts'] + 1 ) . ' pending)'
					: 'Cache refresh queued';
			}
		}
		$id = get_post_meta( $post_id, self::META_ID, true );
		if ( ! $id ) {
			return 'No cache refresh recorded for this post yet';
		}
		// A final status never changes: kept on the post, so the editor screen asks the gateway only
		// while an invalidation is in progress (each ask may take up to 3 s when the gateway is down).
		$final = get_post_meta( $post_id, self::META_FINAL, true );
		$status = ( is_array( $final ) && isset( $final['id'] ) && $final['id'] === $id ) ? $final : $this->status( $id );
		if ( null === $status ) {
			return 'Cache refresh ' . $id . ': status unavailable';
		}
		if ( in_array( $status['state'], array( 'DELIVERED', 'FAILED', 'SUPERSEDED' ), true ) && $status !== $final ) {
			update_post_meta( $post_id, self::META_FINAL, $status );
		}
		if ( ! empty( $status['live'] ) ) {
			return 'Live everywhere (' . $status['summary'] . ')';
		}
		if ( 'FAILED' === $status['state'] ) {
			return 'Not live everywhere: ' . $status['summary'];
		}
		return 'Cache refresh in progress (' . strtolower( $status['state'] ) . ')';
	}
}

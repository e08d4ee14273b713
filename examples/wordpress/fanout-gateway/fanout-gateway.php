<?php
/**
 * Plugin Name:       fanout gateway
 * Description:       Tells fanout-gateway when published content changes, so every replica of the front end (and the CDN) is fresh; shows on each post whether its last change is live everywhere.
 * Version:           0.1.0
 * Requires PHP:      7.4
 * License:           Apache-2.0
 *
 * Configuration, in wp-config.php (or the options fanout_gateway_url / fanout_gateway_secret):
 *
 *   define( 'FANOUT_GATEWAY_URL', 'http://fanout-gateway.cms.svc.cluster.local:8080' );
 *   define( 'FANOUT_GATEWAY_SECRET', 'whsec_...' );   // = fanout.gateway.wordpress.secrets
 *
 * @package fanout-gateway
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

require_once __DIR__ . '/includes/class-fanout-gateway-client.php';

/**
 * The client, or null when the plugin is not configured or its secret is malformed.
 *
 * @return FanoutGateway_Client|null
 */
function fanout_gateway_client() {
	$url    = defined( 'FANOUT_GATEWAY_URL' ) ? FANOUT_GATEWAY_URL : get_option( 'fanout_gateway_url' );
	$secret = defined( 'FANOUT_GATEWAY_SECRET' ) ? FANOUT_GATEWAY_SECRET : get_option( 'fanout_gateway_secret' );
	if ( empty( $url ) || empty( $secret ) ) {
		return null;
	}
	try {
		return new FanoutGateway_Client( $url, $secret );
	} catch ( InvalidArgumentException $e ) {
		return null;
	}
}

/**
 * Whether a post's change can show on the public site: published now or before.
 *
 * @param WP_Post $post The post.
 * @return bool
 */
function fanout_gateway_public( $post ) {
	if ( wp_is_post_revision( $post->ID ) || wp_is_post_autosave( $post->ID ) ) {
		return false;
	}
	$type = get_post_type_object( $post->post_type );
	return $type && ! empty( $type->public );
}

/** A published post was saved (its content changed). */
function fanout_gateway_save_post( $post_id, $post ) {
	$client = fanout_gateway_client();
	if ( $client && 'publish' === $post->post_status && fanout_gateway_public( $post ) ) {
		$client->enqueue( 'post:' . $post_id, FanoutGateway_Client::post_payload( $post, 'save' ) );
	}
}

/** A post entered or left the published state (publish, unpublish, trash, schedule firing). */
function fanout_gateway_transition( $new_status, $old_status, $post ) {
	$client = fanout_gateway_client();
	if ( $client && $new_status !== $old_status && ( 'publish' === $new_status || 'publish' === $old_status )
		&& fanout_gateway_public( $post ) ) {
		$client->enqueue( 'post:' . $post->ID, FanoutGateway_Client::post_payload( $post, 'transition' ) );
	}
}

/** A post is about to be deleted: its permalink can still be computed. */
function fanout_gateway_delete_post( $post_id, $post = null ) {
	$post   = $post ? $post : get_post( $post_id );
	$client = fanout_gateway_client();
	if ( $client && $post && 'publish' === $post->post_status && fanout_gateway_public( $post ) ) {
		$client->enqueue( 'post:' . $post_id, FanoutGateway_Client::post_payload( $post, 'delete' ) );
	}
}

/** A term was created or edited (its archive page changed). */
function fanout_gateway_term( $term_id, $tt_id, $taxonomy, $event ) {
	$client = fanout_gateway_client();
	$term   = get_term( $term_id, $taxonomy );
	if ( $client && $term && ! is_wp_error( $term ) ) {
		$client->enqueue( 'term:' . $term_id, FanoutGateway_Client::term_payload( $term, $taxonomy, $event ) );
	}
}

/** A term is about to be deleted: its archive link can still be computed. */
function fanout_gateway_pre_delete_term( $term_id, $taxonomy ) {
	$client = fanout_gateway_client();
	$term   = get_term( $term_id, $taxonomy );
	if ( $client && $term && ! is_wp_error( $term ) ) {
		$client->enqueue( 'term:' . $term_id, FanoutGateway_Client::term_payload( $term, $taxonomy, 'delete' ) );
	}
}

/** The cron event: sends what the outbox holds. */
function fanout_gateway_flush() {
	$client = fanout_gateway_client();
	if ( $client ) {
		$client->flush();
	}
}

/** The "Cache" box on the post editor. */
function fanout_gateway_meta_box( $post ) {
	$client = fanout_gateway_client();
	echo '<p class="fanout-gateway-status">' . esc_html(
		$client ? $client->describe( $post->ID ) : 'fanout gateway is not configured: set FANOUT_GATEWAY_URL and FANOUT_GATEWAY_SECRET (whsec_<base64 of at least 24 bytes>)'
	) . '</p>';
}

/** The posts list's "Cache" column: the state each post already holds, without a request per row. */
function fanout_gateway_columns( $columns ) {
	$columns['fanout_gateway'] = 'Cache';
	return $columns;
}

function fanout_gateway_column( $column, $post_id ) {
	$client = fanout_gateway_client();
	if ( 'fanout_gateway' === $column && $client ) {
		echo esc_html( $client->short_state( $post_id ) );
	}
}

function fanout_gateway_add_meta_box() {
	add_meta_box( 'fanout-gateway', 'Cache', 'fanout_gateway_meta_box', null, 'side', 'default' );
}

add_action( 'save_post', 'fanout_gateway_save_post', 10, 2 );
add_action( 'transition_post_status', 'fanout_gateway_transition', 10, 3 );
add_action( 'delete_post', 'fanout_gateway_delete_post', 10, 2 );
add_action( 'created_term', function ( $term_id, $tt_id, $taxonomy ) { fanout_gateway_term( $term_id, $tt_id, $taxonomy, 'create' ); }, 10, 3 );
add_action( 'edited_term', function ( $term_id, $tt_id, $taxonomy ) { fanout_gateway_term( $term_id, $tt_id, $taxonomy, 'edit' ); }, 10, 3 );
add_action( 'pre_delete_term', 'fanout_gateway_pre_delete_term', 10, 2 );
add_action( FanoutGateway_Client::CRON_HOOK, 'fanout_gateway_flush' );
add_action( 'add_meta_boxes', 'fanout_gateway_add_meta_box' );
add_filter( 'manage_posts_columns', 'fanout_gateway_columns' );
add_filter( 'manage_pages_columns', 'fanout_gateway_columns' );
add_action( 'manage_posts_custom_column', 'fanout_gateway_column', 10, 2 );
add_action( 'manage_pages_custom_column', 'fanout_gateway_column', 10, 2 );

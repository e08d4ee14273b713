<?php
/**
 * The few WordPress functions the plugin uses, for running it under php-cli in tests: hooks,
 * options and post meta kept in a JSON state file (so several php runs share them, as requests
 * share WordPress's database), the HTTP API over PHP's own stream wrapper, cron as a list of
 * scheduled events, and a small table of posts and terms.
 *
 * Environment: FANOUT_STATE (the state file), FANOUT_GATEWAY_URL, FANOUT_GATEWAY_SECRET.
 */

define( 'ABSPATH', __DIR__ . '/' );
define( 'FANOUT_GATEWAY_URL', getenv( 'FANOUT_GATEWAY_URL' ) );
define( 'FANOUT_GATEWAY_SECRET', getenv( 'FANOUT_GATEWAY_SECRET' ) );

$GLOBALS['shim_hooks']    = array();
$GLOBALS['shim_requests'] = array();
$GLOBALS['shim_state']    = is_file( getenv( 'FANOUT_STATE' ) )
	? json_decode( file_get_contents( getenv( 'FANOUT_STATE' ) ), true )
	: array( 'options' => array(), 'meta' => array(), 'cron' => array() );

function shim_save() {
	file_put_contents( getenv( 'FANOUT_STATE' ), json_encode( $GLOBALS['shim_state'] ) );
}

// ---- hooks
function add_action( $hook, $callback, $priority = 10, $args = 1 ) {
	$GLOBALS['shim_hooks'][ $hook ][] = array( $callback, $args );
}
function add_filter( $hook, $callback, $priority = 10, $args = 1 ) {
	add_action( $hook, $callback, $priority, $args );
}
function apply_filters( $hook, $value, ...$args ) {
	foreach ( isset( $GLOBALS['shim_hooks'][ $hook ] ) ? $GLOBALS['shim_hooks'][ $hook ] : array() as $h ) {
		$value = call_user_func_array( $h[0], array_slice( array_merge( array( $value ), $args ), 0, $h[1] ) );
	}
	return $value;
}
function do_action( $hook, ...$args ) {
	foreach ( isset( $GLOBALS['shim_hooks'][ $hook ] ) ? $GLOBALS['shim_hooks'][ $hook ] : array() as $h ) {
		call_user_func_array( $h[0], array_slice( $args, 0, $h[1] ) );
	}
}

// ---- options, meta, cron
function get_option( $name, $default = false ) {
	return array_key_exists( $name, $GLOBALS['shim_state']['options'] ) ? $GLOBALS['shim_state']['options'][ $name ] : $default;
}
function update_option( $name, $value, $autoload = null ) {
	$GLOBALS['shim_state']['options'][ $name ] = $value;
	shim_save();
	return true;
}
function get_post_meta( $id, $key, $single = false ) {
	return isset( $GLOBALS['shim_state']['meta'][ $id ][ $key ] ) ? $GLOBALS['shim_state']['meta'][ $id ][ $key ] : '';
}
function update_post_meta( $id, $key, $value ) {
	$GLOBALS['shim_state']['meta'][ $id ][ $key ] = $value;
	shim_save();
	return true;
}
function delete_post_meta( $id, $key ) {
	unset( $GLOBALS['shim_state']['meta'][ $id ][ $key ] );
	shim_save();
	return true;
}
function wp_next_scheduled( $hook ) {
	return isset( $GLOBALS['shim_state']['cron'][ $hook ] ) ? $GLOBALS['shim_state']['cron'][ $hook ] : false;
}
function wp_schedule_single_event( $at, $hook ) {
	$GLOBALS['shim_state']['cron'][ $hook ] = $at;
	shim_save();
	return true;
}
/** What WordPress's cron runner does: unschedules the due event, then fires it. */
function shim_run_cron( $hook ) {
	unset( $GLOBALS['shim_state']['cron'][ $hook ] );
	shim_save();
	do_action( $hook );
}

// ---- content
class WP_Post {
	public $ID, $post_type, $post_status, $post_name, $post_modified_gmt;
	public function __construct( array $f ) {
		foreach ( $f as $k => $v ) {
			$this->$k = $v;
		}
	}
}
function get_post( $id ) {
	return isset( $GLOBALS['shim_posts'][ $id ] ) ? $GLOBALS['shim_posts'][ $id ] : null;
}
function get_permalink( $post ) {
	return 'https://cms.example.test/' . gmdate( 'Y/m', strtotime( $post->post_modified_gmt ) ) . '/' . $post->post_name . '/';
}
function get_post_type_object( $type ) {
	return (object) array( 'public' => in_array( $type, array( 'post', 'page' ), true ) );
}
function wp_is_post_revision( $id ) {
	return false;
}
function wp_is_post_autosave( $id ) {
	return false;
}
function get_term( $id, $taxonomy ) {
	return isset( $GLOBALS['shim_terms'][ $id ] ) ? $GLOBALS['shim_terms'][ $id ] : null;
}
function get_term_link( $term, $taxonomy ) {
	return 'https://cms.example.test/' . $taxonomy . '/' . $term->slug . '/';
}

// ---- helpers
function wp_json_encode( $data ) {
	return json_encode( $data, JSON_UNESCAPED_SLASHES );
}
function wp_parse_url( $url, $component = -1 ) {
	return parse_url( $url, $component );
}
function wp_generate_uuid4() {
	return sprintf( '%04x%04x-%04x-%04x-%04x-%04x%04x%04x', random_int( 0, 0xffff ), random_int( 0, 0xffff ),
		random_int( 0, 0xffff ), random_int( 0, 0x0fff ) | 0x4000, random_int( 0, 0x3fff ) | 0x8000,
		random_int( 0, 0xffff ), random_int( 0, 0xffff ), random_int( 0, 0xffff ) );
}
function esc_html( $text ) {
	return htmlspecialchars( (string) $text, ENT_QUOTES, 'UTF-8' );
}
function add_meta_box( ...$args ) {
}

// ---- the HTTP API, over PHP's http stream wrapper
class WP_Error {
	private $message;
	public function __construct( $code, $message ) {
		$this->message = $message;
	}
	public function get_error_message() {
		return $this->message;
	}
}
function is_wp_error( $thing ) {
	return $thing instanceof WP_Error;
}
function wp_remote_request( $url, array $args ) {
	$headers = array();
	foreach ( isset( $args['headers'] ) ? $args['headers'] : array() as $k => $v ) {
		$headers[] = $k . ': ' . $v;
	}
	$context = stream_context_create( array( 'http' => array(
		'method'          => $args['method'],
		'header'          => implode( "\r\n", $headers ),
		'content'         => isset( $args['body'] ) ? $args['body'] : '',
		'timeout'         => $args['timeout'],
		'ignore_errors'   => true,
		'follow_location' => 0,
	) ) );
	$GLOBALS['shim_requests'][] = array( 'method' => $args['method'], 'url' => $url );
	$body = @file_get_contents( $url, false, $context );
	if ( false === $body || empty( $http_response_header ) ) {
		$e = error_get_last();
		return new WP_Error( 'http_request_failed', $e ? $e['message'] : 'request failed' );
	}
	preg_match( '{HTTP/\S+ (\d{3})}', $http_response_header[0], $m );
	$h = array();
	foreach ( array_slice( $http_response_header, 1 ) as $line ) {
		$parts = explode( ':', $line, 2 );
		if ( 2 === count( $parts ) ) {
			$h[ strtolower( trim( $parts[0] ) ) ] = trim( $parts[1] );
		}
	}
	return array( 'response' => array( 'code' => (int) $m[1] ), 'headers' => $h, 'body' => $body );
}
function wp_remote_post( $url, array $args ) {
	return wp_remote_request( $url, $args + array( 'method' => 'POST' ) );
}
function wp_remote_get( $url, array $args ) {
	return wp_remote_request( $url, $args + array( 'method' => 'GET' ) );
}
function wp_remote_retrieve_response_code( $r ) {
	return $r['response']['code'];
}
function wp_remote_retrieve_body( $r ) {
	return $r['body'];
}
function wp_remote_retrieve_header( $r, $name ) {
	return isset( $r['headers'][ strtolower( $name ) ] ) ? $r['headers'][ strtolower( $name ) ] : '';
}

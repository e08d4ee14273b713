<?php
/**
 * Plays what WordPress does around the plugin, one step per run (as separate requests would):
 *
 *   php editor.php publish-post        an editor publishes post 42, or $FANOUT_POST_ID (transition_post_status + save_post)
 *   php editor.php update-post         an editor updates it again (save_post only)
 *   php editor.php delete-post         post 42 is deleted while published (delete_post)
 *   php editor.php edit-term           category 7 is edited (edited_term)
 *   php editor.php cron [SECONDS]      WordPress's cron runs the plugin's event, SECONDS later than now
 *   php editor.php meta-box            the post editor renders the plugin's box for post 42
 *   php editor.php posts-list          the posts list renders the plugin's column for post 42
 *
 * Prints a JSON object: the HTTP requests the step made, the outbox, the scheduled event, the
 * post's meta, and the step's own result. The state (options, meta, cron) lives in $FANOUT_STATE.
 */

require __DIR__ . '/wp-shim.php';
require __DIR__ . '/../fanout-gateway/fanout-gateway.php';

$modified = getenv( 'FANOUT_MODIFIED' ) ? getenv( 'FANOUT_MODIFIED' ) : '2026-12-04 11:00:00';
$id       = getenv( 'FANOUT_POST_ID' ) ? (int) getenv( 'FANOUT_POST_ID' ) : 42;
$GLOBALS['shim_posts'][ $id ] = new WP_Post( array(
	'ID'                => $id,
	'post_type'         => 'post',
	'post_status'       => 'publish',
	'post_name'         => 'hello-world',
	'post_modified_gmt' => $modified,
) );
$GLOBALS['shim_terms'][7] = (object) array( 'term_id' => 7, 'slug' => 'news', 'taxonomy' => 'category' );

$step   = isset( $argv[1] ) ? $argv[1] : '';
$result = null;
switch ( $step ) {
	case 'publish-post':
		do_action( 'transition_post_status', 'publish', 'draft', get_post( $id ) );
		do_action( 'save_post', $id, get_post( $id ), true );
		break;
	case 'update-post':
		do_action( 'save_post', $id, get_post( $id ), true );
		break;
	case 'delete-post':
		do_action( 'delete_post', $id, get_post( $id ) );
		break;
	case 'edit-term':
		do_action( 'edited_term', 7, 7, 'category' );
		break;
	case 'cron':
		// WordPress's cron runner unschedules the due event and fires it; "later" shifts the clock.
		$later = isset( $argv[2] ) ? (int) $argv[2] : 0;
		unset( $GLOBALS['shim_state']['cron'][ FanoutGateway_Client::CRON_HOOK ] );
		shim_save();
		$result = fanout_gateway_client() ? fanout_gateway_client()->flush( time() + $later ) : null;
		break;
	case 'meta-box':
		ob_start();
		fanout_gateway_meta_box( get_post( $id ) );
		$result = ob_get_clean();
		break;
	case 'posts-list':
		$columns = apply_filters( 'manage_posts_columns', array( 'title' => 'Title' ) );
		ob_start();
		do_action( 'manage_posts_custom_column', 'fanout_gateway', $id );
		$result = array( 'columns' => $columns, 'cell' => ob_get_clean() );
		break;
	default:
		fwrite( STDERR, "unknown step '$step'\n" );
		exit( 2 );
}

echo json_encode( array(
	'requests' => $GLOBALS['shim_requests'],
	'outbox'   => get_option( FanoutGateway_Client::OUTBOX_OPTION, array() ),
	'cron'     => wp_next_scheduled( FanoutGateway_Client::CRON_HOOK ),
	'meta'     => isset( $GLOBALS['shim_state']['meta'][ $id ] ) ? $GLOBALS['shim_state']['meta'][ $id ] : new stdClass(),
	'result'   => $result,
), JSON_UNESCAPED_SLASHES ), "\n";

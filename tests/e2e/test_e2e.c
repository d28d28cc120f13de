// SPDX-License-Identifier: MIT
/*
 * End-to-end: real programs (ours in examples/ and tests/progs/, and
 * unmodified curl and python3) under the shim, in namespaces with a tiny
 * port range so that exhaustion takes seconds. Each scenario's checks, and
 * why, are in its script.
 */
#include <criterion/criterion.h>

#include "scenario.h"

Test(e2e, curl_loop_across_veth_matches_kernel, .timeout = 150)
{
	tw_scenario("curl_veth", 140, NULL);
}

Test(e2e, eight_threads_ten_thousand_connections_exact, .timeout = 120)
{
	tw_scenario("threads", 110, NULL);
}

Test(e2e, exhaustion_counted_per_destination_c_and_python, .timeout = 90)
{
	tw_scenario("exhaust", 80, NULL);
}

Test(e2e, nonblocking_epoll_clients_ipv4_ipv6, .timeout = 90)
{
	tw_scenario("nonblock", 80, NULL);
}

Test(e2e, thousand_processes_fold_without_loss, .timeout = 150)
{
	tw_scenario("overflow", 140, NULL);
}

/* Forty-odd cases, each a program run and a ledger read: slow under TSan. */
Test(e2e, fd_lifecycles, .timeout = 200)
{
	tw_scenario("fdcases", 190, NULL);
}

Test(e2e, fails_open_with_one_line, .timeout = 90)
{
	tw_scenario("failopen", 80, NULL);
}

Test(e2e, cli_exit_codes_help_and_warnings, .timeout = 90)
{
	tw_scenario("cli", 80, NULL);
}

Test(e2e, run_warns_for_go_refuses_what_cannot_load, .timeout = 90)
{
	tw_scenario("run_checks", 80, NULL);
}

Test(e2e, prometheus_textfile_served_by_node_exporter, .timeout = 90)
{
	tw_scenario("prometheus", 80, NULL);
}

Test(e2e, stat_shows_the_victims_and_folds_by_command, .timeout = 120)
{
	tw_scenario("stat_victims", 110, NULL);
}

Test(e2e, reports_narrowed_by_command_and_pid, .timeout = 90)
{
	tw_scenario("filters", 80, NULL);
}

Test(e2e, bash_completion_offers_every_option, .timeout = 90)
{
	tw_scenario("completion", 80, NULL);
}

Test(e2e, doctor_check_for_nagios, .timeout = 90)
{
	tw_scenario("doctor_check", 80, NULL);
}

Test(e2e, export_serves_every_ledger_to_prometheus, .timeout = 120)
{
	tw_scenario("export", 110, NULL);
}

Test(e2e, alert_rules_and_dashboard_read_exported_metrics, .timeout = 90)
{
	tw_scenario("alerting", 80, NULL);
}

Test(e2e, top_piped_and_live_in_tmux, .timeout = 90)
{
	tw_scenario("top", 80, NULL);
}

/* Policies (docs/policies.md). */

Test(e2e, close_reset_ends_exhaustion, .timeout = 240)
{
	tw_scenario("close_reset", 230, NULL);
}

Test(e2e, close_peer_first_and_its_fallback, .timeout = 120)
{
	tw_scenario("peer_first", 110, NULL);
}

Test(e2e, close_policies_lose_no_data, .timeout = 120)
{
	tw_scenario("no_loss", 110, NULL);
}

Test(e2e, reuseaddr_lets_a_server_restart, .timeout = 90)
{
	tw_scenario("reuseaddr", 80, NULL);
}

Test(e2e, source_addresses_and_ports, .timeout = 120)
{
	tw_scenario("sources", 110, NULL);
}

Test(e2e, bounded_retry_on_exhaustion, .timeout = 90)
{
	tw_scenario("retry", 80, NULL);
}

Test(e2e, spread_reuse_sustains_a_small_range, .timeout = 150)
{
	tw_scenario("spread", 140, NULL);
}

/* Issue 13 item 3: the first socket made in a signal handler over malloc. */
Test(e2e, signal_first_socket_in_a_handler, .timeout = 130)
{
	tw_scenario("signal_first", 120, NULL);
}

/* Issue 13 items 7, 8, 9, 12: what programs do to the shim unawares. */
Test(e2e, runtime_hazards, .timeout = 130)
{
	tw_scenario("runtime_hazards", 120, NULL);
}

Test(e2e, pooling_hints, .timeout = 90)
{
	tw_scenario("hints", 80, NULL);
}

Test(e2e, epoll_client_under_every_policy, .timeout = 90)
{
	tw_scenario("epoll_policies", 80, NULL);
}

Test(e2e, http10_client_reads_to_eof_under_fin_reset, .timeout = 120)
{
	tw_scenario("http10_client", 110, NULL);
}

Test(e2e, forking_server_children_end_connections, .timeout = 90)
{
	tw_scenario("forking", 80, NULL);
}

Test(e2e, doctor_names_the_exhausted_destination, .timeout = 90)
{
	tw_scenario("doctor", 80, NULL);
}

Test(e2e, doctor_names_a_wildcard_listener, .timeout = 90)
{
	tw_scenario("doctor_wildcard", 80, NULL);
}

/* Issue 13: a FIFO, junk and another user's segment in /dev/shm (real root). */
Test(e2e, planted_ledger_neither_hangs_nor_fools_the_cli, .timeout = 150)
{
	tw_scenario_root("planted_ledger", 140, NULL);
}

Test(e2e, vanished_process_leaves_its_open_connections_named, .timeout = 90)
{
	tw_scenario("vanished", 80, NULL);
}

Test(e2e, demo_shows_failure_diagnosis_and_fix, .timeout = 120)
{
	tw_scenario("demo", 110, NULL);
}

Test(e2e, inert_in_setuid_and_setcap_programs, .timeout = 90)
{
	tw_scenario_root("secure_exec", 80, NULL);
}

Test(e2e, cli_as_an_ordinary_user, .timeout = 90)
{
	tw_scenario_root("unprivileged", 80, NULL);
}

/* Issue 13: a log line to a stderr pipe with no reader raised SIGPIPE and
 * killed the program (status 141). */
Test(e2e, log_line_to_broken_stderr_pipe_raises_no_sigpipe, .timeout = 90)
{
	tw_scenario("stderr_pipe", 80, NULL);
}

/* Issue 13: a /dev/shm too small or full for the ledger raised SIGBUS in
 * the host (status 135); it must fail open instead. */
Test(e2e, full_dev_shm_fails_open_without_sigbus, .timeout = 150)
{
	tw_scenario_root("shm_full", 140, NULL);
}

/* Issue 12: the plain build loads on any glibc since 2.17. */
Test(e2e, library_needs_nothing_above_glibc_2_17, .timeout = 30)
{
	tw_scenario("glibc_baseline", 20, NULL);
}

/* Issue 12 in Debian 11 (glibc 2.31): its own curl and python3 under the
 * shim. Its root file system is made once, from Debian's mirror, and cached
 * in the build directory (a few minutes the first time, then seconds). */
Test(e2e, old_userland_glibc_2_31_programs_counted, .timeout = 720)
{
	tw_scenario_root_online("rootfs_bullseye", 600, NULL);
	tw_scenario_root("old_userland", 90, NULL);
}

/* Issue 12: the licence, in LICENSE and at the top of every source file. */
Test(e2e, every_source_file_says_its_licence, .timeout = 30)
{
	tw_scenario("licence", 20, NULL);
}

/* Issue 12: the man pages format cleanly and cover every option and variable. */
Test(e2e, man_pages_format_and_cover_the_code, .timeout = 60)
{
	tw_scenario("man_pages", 50, NULL);
}

/* Issue 12: make install as a package build runs it, and make uninstall. */
Test(e2e, install_into_destdir_with_multiarch_libdir, .timeout = 120)
{
	tw_scenario("install", 110, NULL);
}

Test(e2e, bench_runs_every_mode_and_cleans_up, .timeout = 90)
{
	tw_scenario("bench", 80, NULL);
}

/* The compatibility matrix (docs/compatibility.md): third-party programs,
 * unmodified, under every close policy that fits; see matrix_lib.sh. The
 * plain build only: under a sanitizer each scenario says so and passes. */

Test(e2e, matrix_curl_wget, .timeout = 240)
{
	tw_scenario("matrix_curl", 230, NULL);
}

Test(e2e, matrix_python_clients_and_forking_server, .timeout = 180)
{
	tw_scenario("matrix_python", 170, NULL);
}

Test(e2e, matrix_node_and_java, .timeout = 150)
{
	tw_scenario("matrix_jsvm", 140, NULL);
}

Test(e2e, matrix_openssl_s_client_s_server, .timeout = 150)
{
	tw_scenario("matrix_openssl", 140, NULL);
}

Test(e2e, matrix_socat_client_and_fork_server, .timeout = 150)
{
	tw_scenario("matrix_socat", 140, NULL);
}

Test(e2e, matrix_nginx_server_and_proxy, .timeout = 150)
{
	tw_scenario("matrix_nginx", 140, NULL);
}

Test(e2e, matrix_go_unseen, .timeout = 150)
{
	tw_scenario("matrix_go", 140, NULL);
}

/* Issue 13 item 6: TWSHIM_LOG=file: followed a symbolic link and hung on a
 * FIFO; item 13: a value with a newline made a second log line. */
Test(e2e, log_file_only_a_regular_file_and_one_line_per_message, .timeout = 150)
{
	tw_scenario("log_file", 140, NULL);
}

/* Issue 13 item 10: another user who planted a file at a TWSHIM_STRICT=1
 * service's ledger name stopped the service (and, without STRICT, turned
 * its policies off). */
Test(e2e, strict_service_survives_a_ledger_planted_by_another_user, .timeout = 120)
{
	tw_scenario_root("planted_segment_shim", 110, NULL);
}

/* Issue 13 item 14: a setuid-root helper that became root for good and
 * exec'd passed the user's TWSHIM_* on, and root honoured them (a file
 * created in a root-only directory through TWSHIM_LOG). */
Test(e2e, setuid_helper_passes_no_twshim_settings_to_root, .timeout = 90)
{
	tw_scenario_root("setuid_exec", 80, NULL);
}

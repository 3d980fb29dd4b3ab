# test/t/001_cancel.pl -- cancellation and memory limits of merge_calls and
# explain_calls.  SPEC §4: "a long call can be cancelled (statement_timeout,
# pg_cancel_backend) promptly"; README: memory O(calls + sessions that cover
# a call), never O(sessions).
#
# How to run: `bash test/t/run.sh` (as root or as postgres; it runs prove as
# the postgres user with a TESTDIR in /tmp -- see test/t/README).  It tests
# the INSTALLED extension (make install first) in a cluster of its own made
# by PostgreSQL::Test::Cluster, with default settings (work_mem 4MB,
# shared_buffers 128MB).  About 1-1.5 minutes on the project's 2-core
# machine (60-100 s measured, depending on what else runs).  Linux only: it reads the backend's /proc/<pid> (the test runs on
# the server's machine, as the server's user).
#
# What it does:
#  1. Loads 4,000,000 sessions (tp_s4m, with the (bizible_key, started_at)
#     index the probe walks), the first 1,000,000 of them again (tp_s1m),
#     1,000,000 tasks of 1,000,000 distinct BizibleIds (tp_t1m, 80 % in a
#     window), their first 300,000 and 100,000 (tp_t300k, tp_t100k), and
#     2,000,000 tasks of 2,000,000 ids (tp_t2m), with generate_series
#     (15-25 s).
#  2. Runs, uncapped and each in a fresh backend: merge_calls under 'scan'
#     and 'auto' (4M sessions x 1M tasks), 'probe' (4M x 300k: a descent
#     costs more than a scanned row) and 'sorted' (1M x 1M: it sorts both
#     inputs), and explain_calls (1M x 1M).  Meanwhile this script samples
#     the backend's /proc/<pid>/status and /proc/<pid>/fd every few ms: run
#     time (each must take over 4 x the 300 ms timeout), peak memory, and
#     for the scan family a timeline of phases: "calls" (the tasks are read
#     and indexed; the probe also sorts the called ids), "scan" (the
#     sessions' heap file, or the probe's index file, is open), "emit" (a
#     temporary file is open: the output tuplestore has spilled past
#     work_mem), "output" (the function has returned and freed its memory;
#     the query reads its rows).
#  3. Cancels each of them, each time in a fresh backend, and measures the
#     delay from the timeout or the cancel to the error:
#     - statement_timeout = 300ms;
#     - 'scan' and 'probe': pg_cancel_backend from a second session as soon
#       as the run is seen in each phase (calls: 30 % of the memory it will
#       hold when it starts on the sessions; scan: 0.3 s after the sessions'
#       file was opened; emit: as soon as the output has spilled), then a
#       statement_timeout aimed at the middle of each phase -- this
#       machine's speed drifts from run to run, so the phase reported is the
#       one observed in that very run at the moment of the timeout, and an
#       attempt that lands elsewhere is aimed again (at most 3 times);
#     - 'auto': pg_cancel_backend in the scan phase;
#     - 'sorted' and explain_calls: pg_cancel_backend at 50 % and a
#       statement_timeout at 75 % of the run time.
#     Every cancelled statement must fail with SQLSTATE 57014 within 1 s
#     (wall time measured here with Time::HiRes; it includes the client
#     round trip).  Last, 'probe' with 2,000,000 called ids is cancelled
#     after it has read its calls and before its first index descent, while
#     it indexes the calls and sorts the called ids (both check for
#     interrupts every 64k steps).
#  4. Memory: merge_calls ('auto', which scans here, and 'probe') of the same
#     100,000 tasks against 1,000,000 and 4,000,000 sessions, each in a fresh
#     backend that has first touched all of shared_buffers (pg_prewarm of
#     the 4M table), so that VmHWM (peak RSS, read from /proc by this
#     script) differs only by private memory: the 4M peak must be within
#     +25 % and within +50 MB of the 1M peak.  The sorted driver ('sorted',
#     explain_calls) must do 1M x 1M in under 100 MB of private memory.
# Every measured number goes to the TAP output with note().
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use Time::HiRes qw(time sleep);

my $MB = 1024 * 1024;

# ---- a psql process on one connection, fed one statement at a time ----

package TpPsql;

use Time::HiRes qw(time sleep);

sub new
{
	my ($class, $node) = @_;
	my $self = bless { in => '', out => '', err => '', n => 0 }, $class;
	$self->{h} = IPC::Run::start(
		[
			$node->installed_command('psql'), '-XAtq',
			'-v', 'VERBOSITY=verbose', '-d', $node->connstr('postgres')
		],
		'<', \$self->{in}, '>', \$self->{out}, '2>', \$self->{err});
	$self->{pid} = $self->run('SELECT pg_backend_pid()')->{out};
	die "no backend pid: $self->{err}" unless $self->{pid} =~ /^\d+$/;
	return $self;
}

# Run one statement; returns { out, err, elapsed (s), cancel_sent (s) }.
# Options: tick => sub($t) called every few ms while it runs; cancel_when =>
# sub($t) returning true when pg_cancel_backend is to be sent now (through
# canceller => another TpPsql).
sub run
{
	my ($self, $sql, %o) = @_;
	my $marker = '__done_' . ++$self->{n} . '__';
	my %r;

	$self->{out} = $self->{err} = '';
	$self->{in} .= "$sql;\n\\echo $marker\n";
	my $t0 = time;
	$self->{h}->pump_nb;
	while ($self->{out} !~ /^\Q$marker\E$/m)
	{
		my $t = time - $t0;
		die "no answer after 600 s to: $sql" if $t > 600;
		$o{tick}->($t) if $o{tick};
		if ($o{cancel_when} && !defined $r{cancel_sent} && $o{cancel_when}->($t))
		{
			$r{cancel_sent} = time - $t0;
			$o{canceller}->run("SELECT pg_cancel_backend($self->{pid})");
		}
		sleep 0.003;
		$self->{h}->pump_nb;
	}
	$r{elapsed} = time - $t0;
	$self->{h}->pump_nb;    # stderr was written before the marker
	($r{out} = $self->{out}) =~ s/^\Q$marker\E\n//m;
	chomp $r{out};
	$r{err} = $self->{err};
	return \%r;
}

sub quit
{
	my ($self) = @_;
	$self->{in} .= "\\q\n";
	$self->{h}->finish;
	return;
}

package main;

# ---- /proc of a backend ----

# RSS figures (bytes) and the files it has open.
sub proc_sample
{
	my ($pid) = @_;
	my %s;
	open my $f, '<', "/proc/$pid/status" or return undef;
	while (my $line = <$f>)
	{
		$s{$1} = $2 * 1024 if $line =~ /^(VmHWM|VmRSS|RssAnon|RssFile|RssShmem):\s+(\d+) kB/;
	}
	close $f;
	my @fds;
	if (opendir my $d, "/proc/$pid/fd")
	{
		for my $fd (readdir $d)
		{
			my $target = readlink "/proc/$pid/fd/$fd";
			push @fds, $target if defined $target;
		}
		closedir $d;
	}
	$s{fds} = \@fds;
	return \%s;
}

# Phases of a scan-family run, in order.
my @order = qw(calls scan emit output);
my %rank = map { $order[$_] => $_ } 0 .. $#order;

# A tracker: called with each sample in turn, returns the phase then.
# calls (the tasks are read and indexed; the probe also sorts the called ids)
# -> scan (the sessions' heap file, or the probe's index file, is open) ->
# emit (a temporary file is open: the output has spilled past work_mem) ->
# output (the function has returned and freed its memory -- RssAnon below
# half its peak so far -- and the query reads its rows).
sub phase_tracker
{
	my ($scan_file) = @_;
	my %st = (peak => 0, phase => 'calls');
	return sub {
		my ($t, $s) = @_;
		return $st{phase} unless $s;
		my $anon = $s->{RssAnon} // 0;
		$st{peak} = $anon if $anon > $st{peak};
		my $now = 'calls';
		$now = 'scan' if grep { m{/\Q$scan_file\E$} } @{ $s->{fds} };
		$now = 'emit' if grep { m{/pgsql_tmp/} } @{ $s->{fds} };
		$now = 'output' if $st{phase} eq 'output'
		  || ($st{phase} eq 'emit' && $anon < $st{peak} / 2);
		# phases only go forward
		$now = $st{phase} if $rank{$now} < $rank{ $st{phase} };
		$st{phase} = $now;
		return $now;
	};
}

# {phase => first time seen} of a sampled run.
sub phases_of
{
	my ($r, $scan_file) = @_;
	my $track = phase_tracker($scan_file);
	my %at;
	$at{ $track->($_->{t}, $_) } //= $_->{t} for @{ $r->{samples} };
	return \%at;
}

# ---- the cluster and the data ----

my $node = PostgreSQL::Test::Cluster->new('cancel');
$node->init;
$node->append_conf('postgresql.conf', "log_statement = none\n");
$node->start;

my $t_start = time;
$node->safe_psql(
	'postgres', q{
SET client_min_messages = warning;
SET maintenance_work_mem = '256MB';
CREATE EXTENSION touchpoint;
CREATE EXTENSION pg_prewarm;
-- session k: visitor v<k mod 1M>, start at a pseudo-random second of 90 days
CREATE FUNCTION tp_gen_sessions(lo int8, hi int8) RETURNS SETOF touchpoint.sessions
LANGUAGE sql AS $$
  SELECT 's' || k, 'v' || (k % 1000000),
         timestamptz '2026-01-01 00:00+00' + ((k * 104729) % 7776000) * interval '1 second',
         NULL::timestamptz, (ARRAY['Paid Search', 'Organic Search', 'Email', 'Display'])[1 + k % 4],
         NULL, 'google', 'cpc', 'c' || (k % 97), NULL, NULL, NULL, NULL
  FROM generate_series(lo, hi) AS k $$;
CREATE UNLOGGED TABLE tp_s4m (LIKE touchpoint.sessions);
INSERT INTO tp_s4m SELECT * FROM tp_gen_sessions(1, 4000000);
CREATE UNLOGGED TABLE tp_s1m (LIKE touchpoint.sessions);
INSERT INTO tp_s1m SELECT * FROM tp_gen_sessions(1, 1000000);
-- task t: visitor of session k = 1 + (t * 7919) mod 1M (a permutation: one
-- call per visitor), 80 % 0-29 min after that session started, the rest
-- 31 min to 10 days later
CREATE UNLOGGED TABLE tp_t1m (LIKE touchpoint.tasks INCLUDING DEFAULTS);
INSERT INTO tp_t1m (task_id, bizible_id, type, subject, phone, occurred_at)
SELECT 't' || t, 'v' || (k % 1000000), 'Call', 'Inbound call', '+1415555' || lpad((t % 10000)::text, 4, '0'),
       timestamptz '2026-01-01 00:00+00' + ((k * 104729) % 7776000) * interval '1 second'
       + CASE WHEN t % 10 < 8 THEN (t * 37) % 1740 ELSE 1860 + (t * 7919) % 862140 END * interval '1 second'
FROM (SELECT t, 1 + (t * 7919) % 1000000 AS k FROM generate_series(1::int8, 1000000) AS t) d;
-- 2,000,000 calls of 2,000,000 distinct ids (half of them have sessions)
CREATE UNLOGGED TABLE tp_t2m (LIKE touchpoint.tasks INCLUDING DEFAULTS);
INSERT INTO tp_t2m (task_id, bizible_id, type, occurred_at)
SELECT 't' || t, 'v' || ((t * 7919) % 2000000), 'Call',
       timestamptz '2026-01-01 00:00+00' + ((t * 104729) % 7776000) * interval '1 second'
FROM generate_series(1::int8, 2000000) AS t;
CREATE UNLOGGED TABLE tp_t300k AS SELECT * FROM tp_t1m WHERE substr(task_id, 2)::int <= 300000;
CREATE UNLOGGED TABLE tp_t100k AS SELECT * FROM tp_t1m WHERE substr(task_id, 2)::int <= 100000;
CREATE INDEX tp_s4m_key ON tp_s4m (touchpoint.bizible_key(bizible_id) COLLATE "C", started_at, session_id COLLATE "C");
CREATE INDEX tp_s1m_key ON tp_s1m (touchpoint.bizible_key(bizible_id) COLLATE "C", started_at, session_id COLLATE "C");
VACUUM ANALYZE tp_s4m, tp_s1m, tp_t1m, tp_t2m, tp_t300k, tp_t100k;
});
my $load_time = time - $t_start;
my %file;
for my $rel (qw(tp_s4m tp_s4m_key tp_s1m tp_s1m_key))
{
	$file{$rel} = $node->safe_psql('postgres', "SELECT pg_relation_filepath('$rel')");
}
note sprintf("loaded 4,000,000 + 1,000,000 sessions, 2,000,000 + 1,000,000 + 300,000 + 100,000 tasks in %.1f s (%s)",
	$load_time,
	$node->safe_psql('postgres',
		"SELECT 'tp_s4m ' || pg_size_pretty(pg_total_relation_size('tp_s4m')) || ', tp_t1m ' "
		  . "|| pg_size_pretty(pg_total_relation_size('tp_t1m'))"));

my $canceller = TpPsql->new($node);

my %merge_sql = (
	merge => "SELECT count(*) || ' rows, ' || count(session_id) || ' merged' "
	  . "FROM touchpoint.merge_calls('%s', '%s')",
	explain => "SELECT count(*) || ' rows, ' || count(*) FILTER (WHERE status = 'merged') || ' merged' "
	  . "FROM touchpoint.explain_calls('%s', '%s')");

# Run one statement in a fresh backend, sampling its /proc; returns the
# result with {samples => [...], base/final => samples before and after the
# statement, peak_anon}.  cancel_when => sub($t, $latest_sample) sends
# pg_cancel_backend (through $canceller) when it returns true.
sub sampled_run
{
	my ($strategy, $sql, %o) = @_;
	my $p = TpPsql->new($node);
	$p->run("SET touchpoint.merge_strategy = '$strategy'");
	$p->run($_) for @{ $o{before} // [] };
	my $base = proc_sample($p->{pid});
	my @samples;
	my $r = $p->run(
		$sql,
		tick => sub {
			my ($t) = @_;
			my $s = proc_sample($p->{pid});
			if ($s) { $s->{t} = $t; push @samples, $s; }
		},
		$o{cancel_when}
		? (
			cancel_when => sub { $o{cancel_when}->($_[0], $samples[-1]) },
			canceller => $canceller)
		: ());
	$r->{base} = $base;
	$r->{final} = proc_sample($p->{pid});
	$r->{samples} = \@samples;
	$r->{peak_anon} = 0;
	for (@samples, $r->{final})
	{
		$r->{peak_anon} = $_->{RssAnon} if $_->{RssAnon} > $r->{peak_anon};
	}
	$p->quit;
	return $r;
}

sub has_open
{
	my ($s, $file) = @_;
	return $s && grep { m{/\Q$file\E$} } @{ $s->{fds} };
}

# The runs: strategy, function, inputs, and for the scan family the file
# whose opening starts its "scan" phase.  The probe gets 300,000 calls (its
# descents cost more than a scan's rows), the sorted driver 1,000,000
# sessions (it sorts both inputs): each takes a few seconds here.
my %run = (
	scan => { strategy => 'scan', fn => 'merge', sessions => 'tp_s4m', tasks => 'tp_t1m',
		scan_file => $file{tp_s4m} },
	auto => { strategy => 'auto', fn => 'merge', sessions => 'tp_s4m', tasks => 'tp_t1m' },
	probe => { strategy => 'probe', fn => 'merge', sessions => 'tp_s4m', tasks => 'tp_t300k',
		scan_file => $file{tp_s4m_key} },
	sorted => { strategy => 'sorted', fn => 'merge', sessions => 'tp_s1m', tasks => 'tp_t1m' },
	explain => { strategy => 'auto', fn => 'explain', sessions => 'tp_s1m', tasks => 'tp_t1m' },
	# the probe's indexing and sorting of many called ids, see below
	probe2m => { strategy => 'probe', fn => 'merge', sessions => 'tp_s4m', tasks => 'tp_t2m',
		scan_file => $file{tp_s4m_key} });
my @names = qw(scan auto probe sorted explain);
$run{$_}{sql} = sprintf($merge_sql{ $run{$_}{fn} }, $run{$_}{sessions}, $run{$_}{tasks})
  for keys %run;

# ---- 2. uncapped runs ----

my %uncapped;
for my $name (@names)
{
	my $run = $run{$name};
	my $r = sampled_run($run->{strategy}, $run->{sql},
		before => ["SET statement_timeout = '120s'"]);
	$uncapped{$name} = $r;
	$run->{last_elapsed} = $r->{elapsed};
	is($r->{err}, '', "$name: uncapped run succeeds ($r->{out})");
	cmp_ok($r->{elapsed}, '>', 1.2, "$name: uncapped run takes over 4 times the 300 ms timeout");

	# auto: which strategy it picked, seen from the files it opened
	if ($name eq 'auto')
	{
		my $probed = grep { has_open($_, $file{tp_s4m_key}) } @{ $r->{samples} };
		$run->{scan_file} = $probed ? $file{tp_s4m_key} : $file{tp_s4m};
		note "auto chose " . ($probed ? 'the probe' : 'the one-pass scan')
		  . " for 1,000,000 called ids against 4,000,000 sessions";
	}
	my $timeline = '';
	if ($run->{scan_file})
	{
		my $at = $r->{phase_at} = phases_of($r, $run->{scan_file});
		$timeline = '; phases: ' . join(', ',
			map { sprintf('%s from %.2f s', $_, $at->{$_}) } grep { defined $at->{$_} } @order);
	}
	note sprintf("%-7s %s x %s uncapped %.2f s; peak RssAnon %d MB, VmHWM %d MB%s",
		$name, $run->{sessions}, $run->{tasks}, $r->{elapsed}, $r->{peak_anon} / $MB,
		$r->{final}{VmHWM} / $MB, $timeline);
}
is($uncapped{auto}{out}, $uncapped{scan}{out}, 'auto and scan return the same rows');
is($uncapped{explain}{out}, $uncapped{sorted}{out}, 'explain_calls and sorted merge the same calls');

# ---- 3. cancellation ----

# One cancelled run in a fresh backend: by statement_timeout => seconds, or
# by pg_cancel_backend when cancel_when => sub($t, $sample) says so.  Adds
# {moment} (s: the timeout, or when the cancel was sent), {delay} (s from
# then to the error), {phase} (observed at that moment, scan family) and
# {cancelled} (the statement failed with SQLSTATE 57014).
sub cancelled_run
{
	my ($name, %o) = @_;
	my $run = $run{$name};
	my $r = sampled_run(
		$run->{strategy}, $run->{sql},
		before => [ "SET statement_timeout = '" . int(($o{timeout} // 120) * 1000) . "ms'" ],
		cancel_when => $o{cancel_when});
	my $moment = $o{timeout} // $r->{cancel_sent};
	$r->{moment} = $moment;
	$r->{phase} = '-';
	if ($run->{scan_file} && defined $moment)
	{
		my $track = phase_tracker($run->{scan_file});
		for my $s (@{ $r->{samples} })
		{
			my $ph = $track->($s->{t}, $s);
			$r->{phase} = $ph if $s->{t} <= $moment;
		}
	}
	$r->{phase} = $o{phase} if $o{phase};
	$r->{cancelled} = $r->{err} =~ /ERROR:\s+57014:/ ? 1 : 0;
	$r->{delay} = defined $moment ? $r->{elapsed} - $moment : 0;
	$run->{last_elapsed} = $r->{elapsed} unless $r->{cancelled};
	return $r;
}

my @delays;    # for the summary
# SQLSTATE 57014 and back within 1 s, in every phase.
sub check_cancelled
{
	my ($label, $r, $how) = @_;
	my $want = $how eq 'timeout' ? 'statement timeout' : 'user request';
	like($r->{err}, qr/ERROR:\s+57014: canceling statement due to \Q$want\E/,
		"$label: SQLSTATE 57014");
	cmp_ok($r->{delay}, '<', 1.0, "$label: returns within 1 s");
	my $line = sprintf("%-46s %-7s at %6.3f s (phase %-6s) error at %6.3f s: delay %.3f s",
		$label, $how, $r->{moment} // -1, $r->{phase}, $r->{elapsed}, $r->{delay});
	note $line;
	push @delays, $line;
	return;
}

# Aim a statement_timeout at the middle of a phase of a scan-family run.
# This machine's speed drifts from run to run, so an attempt that lands in
# another phase (or after the end) is aimed again from the previous one:
# from its whole timeline when it finished first, else from how late the
# phases it reached began compared with the reference timeline (the
# uncapped run's at first); at most 3 attempts.  Every cancelled attempt is
# checked, whatever phase it landed in; cancel_in_phase below is what is
# sure to reach each phase.
sub timeout_in_phase
{
	my ($name, $phase) = @_;
	my $scan_file = $run{$name}{scan_file};
	my $ref = $uncapped{$name};
	my %ref_at = %{ $ref->{phase_at} };
	my $ref_end = $ref->{elapsed};
	my $speed = 1;    # this run's times / the reference's
	for my $try (1 .. 3)
	{
		my @seen = grep { defined $ref_at{$_} } @order;
		my ($i) = grep { $seen[$_] eq $phase } 0 .. $#seen;
		return unless defined $i;
		my $until = $i < $#seen ? $ref_at{ $seen[ $i + 1 ] } : $ref_end;
		my $aim = $speed * ($ref_at{$phase} + $until) / 2;
		my $r = cancelled_run($name, timeout => $aim);
		if ($r->{cancelled})
		{
			check_cancelled("$name, timeout aimed at $phase", $r, 'timeout');
			return if $r->{phase} eq $phase;
		}
		my %at;
		my $track = phase_tracker($scan_file);
		for my $s (@{ $r->{samples} })
		{
			last if $r->{cancelled} && $s->{t} > $aim;
			$at{ $track->($s->{t}, $s) } //= $s->{t};
		}
		if (!$r->{cancelled})
		{
			note sprintf("%s: timeout %.3f s aimed at phase %s: the run finished first (%.2f s)",
				$name, $aim, $phase, $r->{elapsed});
			%ref_at = %at;
			$ref_end = $r->{elapsed};
			$speed = 1;
			next;
		}
		# the latest phase this run reached, and when, against the reference
		my ($last) = grep { defined $at{$_} && $_ ne 'calls' && defined $ref_at{$_} } reverse @order;
		if ($last) { $speed = $at{$last} / $ref_at{$last}; }
		elsif (@seen > 1) { $speed = 1.1 * $aim / $ref_at{ $seen[1] }; }
	}
	note "$name: no statement_timeout landed in phase $phase in 3 attempts (see cancel_in_phase)";
	return;
}

# pg_cancel_backend as soon as the run is seen in a phase: "calls" when the
# backend holds 30 % of the private memory it held when the uncapped run
# began to read the sessions (the calls are being read); "scan" 0.3 s after
# the sessions' file was opened; "emit" as soon as the output has spilled.
sub cancel_in_phase
{
	my ($name, $phase) = @_;
	my $run = $run{$name};
	my $u = $uncapped{$name};
	my ($open) = grep { has_open($_, $run->{scan_file}) } @{ $u->{samples} };
	my $calls_anon = 0.3 * ($open ? $open->{RssAnon} : 0);
	my $track = phase_tracker($run->{scan_file});
	my $seen;
	my $r = cancelled_run(
		$name,
		cancel_when => sub {
			my ($t, $s) = @_;
			return 0 unless $s;
			my $now = $track->($t, $s);
			return $now eq 'calls' && ($s->{RssAnon} // 0) >= $calls_anon if $phase eq 'calls';
			return $now eq 'emit' if $phase eq 'emit';
			$seen //= $t if $now eq 'scan';
			return defined $seen && $t >= $seen + 0.3;
		});
	check_cancelled("$name, pg_cancel_backend in $phase", $r, 'cancel');
	is($r->{phase}, $phase, "$name: pg_cancel_backend came in phase $phase");
	return;
}

# A statement_timeout at a fraction of the run time (sorted driver), aimed
# again from the latest uncancelled run when the run finished first.
sub timeout_at_fraction
{
	my ($name, $f) = @_;
	my $r;
	for my $try (1 .. 4)
	{
		$r = cancelled_run($name, timeout => $f * $run{$name}{last_elapsed});
		last if $r->{cancelled};
		note sprintf("%s: timeout %.2f s (%d %% of the last run time): the run finished first (%.2f s)",
			$name, $r->{moment}, $f * 100, $r->{elapsed});
	}
	check_cancelled(sprintf("%s, timeout at %d %% of its run time", $name, $f * 100),
		$r, 'timeout');
	return;
}

for my $name (@names)
{
	my $run = $run{$name};
	my $u = $uncapped{$name};
	my $r;

	# statement_timeout = 300ms
	$r = cancelled_run($name, timeout => 0.3);
	check_cancelled("$name, statement_timeout 300ms", $r, 'timeout');

	if ($name eq 'scan' || $name eq 'probe')
	{
		# pg_cancel_backend in each phase, and a statement_timeout aimed at each
		for my $phase (qw(calls scan emit)) { cancel_in_phase($name, $phase); }
		for my $phase (qw(calls scan emit)) { timeout_in_phase($name, $phase); }
	}
	elsif ($run->{scan_file})
	{
		cancel_in_phase($name, 'scan');
	}
	else
	{
		my $at = 0.5 * $run->{last_elapsed};
		$r = cancelled_run($name, cancel_when => sub { $_[0] >= $at });
		check_cancelled("$name, pg_cancel_backend at 50 %", $r, 'cancel');
	}
	timeout_at_fraction($name, 0.75) if $name eq 'sorted' || $name eq 'explain';
}

# The probe at 2,000,000 called ids: once it has read the calls it indexes
# them and sorts the ids into index order before its first descent (about a
# second each; phase "index"; they once had no interrupt check).  A first run,
# cancelled as the index file opens, measures the backend's private memory
# then; a second is cancelled as its memory reaches 95 % of that: after the
# calls were read, before the first descent.
{
	my $run = $run{probe2m};
	my $r = cancelled_run('probe2m', cancel_when => sub { has_open($_[1], $run->{scan_file}) });
	my $open = (grep { has_open($_, $run->{scan_file}) } @{ $r->{samples} })[0];
	my $sort_anon = 0.95 * ($open ? $open->{RssAnon} : 0);
	note sprintf("probe2m: the index opened at %.2f s with %d MB of private memory",
		$open ? $open->{t} : -1, ($open ? $open->{RssAnon} : 0) / $MB);
	$r = cancelled_run(
		'probe2m',
		phase => 'index',
		cancel_when => sub {
			my ($t, $s) = @_;
			return $s && ($s->{RssAnon} >= $sort_anon || has_open($s, $run->{scan_file}));
		});
	ok(!(grep { $_->{t} <= $r->{moment} && has_open($_, $run->{scan_file}) } @{ $r->{samples} }),
		'probe2m: cancelled before the first descent');
	check_cancelled('probe2m, pg_cancel_backend before 1st descent', $r, 'cancel');
}

# No temporary file is left behind by the cancelled statements.
is($node->safe_psql('postgres', 'SELECT count(*) FROM pg_ls_tmpdir()'), '0',
	'no temporary files left');

# ---- 4. memory ----

my %peak;
for my $strategy (qw(auto probe))
{
	for my $sessions (qw(tp_s1m tp_s4m))
	{
		my $r = sampled_run($strategy, sprintf($merge_sql{merge}, $sessions, 'tp_t100k'),
			before => ["SELECT pg_prewarm('tp_s4m')"]);
		is($r->{err}, '', "memory, $strategy, $sessions: succeeds ($r->{out})");
		$peak{$strategy}{$sessions} = $r;
		note sprintf("memory %-5s %-7s x tp_t100k: VmHWM %d MB (%d MB before, all of "
			  . "shared_buffers touched), peak RssAnon %d MB, RssShmem %d MB, %.2f s",
			$strategy, $sessions, $r->{final}{VmHWM} / $MB, $r->{base}{VmHWM} / $MB,
			$r->{peak_anon} / $MB, $r->{final}{RssShmem} / $MB, $r->{elapsed});
	}
	my ($one, $four) = map { $peak{$strategy}{$_}{final}{VmHWM} } qw(tp_s1m tp_s4m);
	cmp_ok($four, '<=', 1.25 * $one, "memory, $strategy: 4M sessions peak within +25 % of 1M");
	cmp_ok($four - $one, '<=', 50 * $MB, "memory, $strategy: 4M sessions peak within +50 MB of 1M");
}
for my $name (qw(sorted explain))
{
	my $u = $uncapped{$name};
	cmp_ok($u->{peak_anon} - $u->{base}{RssAnon}, '<', 100 * $MB,
		"memory, $name: 1M sessions x 1M tasks in under 100 MB of private memory");
}

note "cancellation delays:";
note $_ for @delays;
note sprintf("total %.1f s (load %.1f s)", time - $t_start, $load_time);

$canceller->quit;
$node->stop;
done_testing();

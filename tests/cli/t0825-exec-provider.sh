#!/bin/sh
# exec providers run inside the request loop: side by side (-j), bounded
# by their timeout, killed on Ctrl-C, no process left behind.
. "$(dirname "$0")/lib.sh"

# prov.sh [slow-repeat]: answers with the repeat index; the request whose
# repeat index is $1 sleeps 1.5 s first; PIDS, when set, names a
# directory where each run leaves its pid
write_prov() {
	cat >prov.sh <<-\EOT &&
	#!/bin/sh
	[ -n "$PIDS" ] && echo $$ >"$PIDS/$$"
	req=$(cat)
	rep=$(printf "%s" "$req" | sed -n "s/.*\"repeat\":\([0-9]*\).*/\1/p")
	case "$1" in
	hang) exec sleep 30 ;;
	sleep) sleep "$2" ;;
	*) [ "$rep" = "$1" ] && sleep 1.5 ;;
	esac
	echo "{\"text\":\"r$rep w$rep\",\"usage\":{\"input_tokens\":1,\"output_tokens\":1}}"
	EOT
	chmod +x prov.sh
}

# exec_project <command args...> [-- provider-extra]: a project whose
# model "e" runs prov.sh, with an 8-case echo suite
exec_project() {
	setup_project &&
	write_prov &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  ex: { type: exec, command: ["$PWD/prov.sh", $1] ${2:-} }
	models:
	  e: { provider: ex, id: tool-1 }
	EOT
	mkdir -p datasets &&
	printf -- "---\nmodel: e\n---\nEcho: {{word}}\n" >prompts/echo.prompt &&
	i=1 &&
	while [ $i -le 8 ]; do
		echo "{\"id\":\"c$i\",\"vars\":{\"word\":\"w$i\"}}" || return 1
		i=$((i + 1))
	done >datasets/echo.jsonl &&
	printf "prompt: echo\ndataset: datasets/echo.jsonl\nthreshold: 1.0\nassert:\n  - { type: contains, value: w }\n" >evals/echo.yaml &&
	git add -A && git commit -q -m "exec suite"
}

# gone PID...: each process has exited (a zombie of someone else counts)
gone() {
	for p in "$@"; do
		i=0
		while [ $i -lt 100 ]; do
			st=$(sed -n "s/^[0-9]* (.*) \([A-Z]\) .*/\1/p" "/proc/$p/stat" 2>/dev/null)
			[ -z "$st" ] || [ "$st" = Z ] && break
			sleep 0.05
			i=$((i + 1))
		done
		[ -z "$st" ] || [ "$st" = Z ] || { echo "process $p still runs" >&2; return 1; }
	done
}

# a ping line of the slow request: 1.5 s or more
SLOW="latency_ms=\(1[5-9][0-9][0-9]\|[2-9][0-9][0-9][0-9]\)"

test_expect_success 'a slow command does not hold up the others: it comes back last' '
	exec_project "\"0\"" &&
	pops model ping e -n 4 -j 4 >out &&
	test $(wc -l <out) = 4 &&
	sed -n "4p" out | grep -q "$SLOW" &&
	! sed -n "1,3p" out | grep -q "$SLOW" &&
	# one at a time, the slow one (handed out first) is first back
	pops model ping e -n 4 -j 1 >out &&
	sed -n "1p" out | grep -q "$SLOW"
'

test_expect_success '8 cases of a 0.5 s command with -j 8 overlap (run timing from the report)' '
	exec_project "\"sleep\", \"0.5\"" &&
	timeout 60 "$POPS_BIN" eval run evals/echo.yaml -j 8 --no-store --no-cache --json report.json >out &&
	python3 - <<-\EOP
	import json
	r = json.load(open("report.json"))
	s = r["summary"][0]
	assert s["passed"] == 8, s
	lat = [c["latency_ms"] for c in r["cases"]]
	assert min(lat) >= 500, lat
	# one after another would take 8 x 0.5 s
	assert s["duration_s"] < 3.5, s["duration_s"]
	EOP
'

test_expect_success 'a command past its timeout is a per-case error, quickly, and is killed' '
	exec_project "\"hang\"" ", timeout: 0.3" &&
	mkdir pids &&
	test_expect_code 4 env PIDS="$PWD/pids" timeout 60 "$POPS_BIN" eval run evals/echo.yaml -j 4 --no-store --no-cache --junit junit.xml --json report.json >out 2>err &&
	test $(grep -c "<error" junit.xml) = 8 &&
	grep -q "provider .ex.: timed out after 300 ms" junit.xml &&
	python3 -c "import json; s=json.load(open(\"report.json\"))[\"summary\"][0]; assert s[\"duration_s\"] < 10, s" &&
	test $(ls pids | wc -l) = 8 &&
	gone $(ls pids)
'

test_expect_success 'Ctrl-C kills the running commands and exits 130' '
	exec_project "\"hang\"" &&
	mkdir pids &&
	{ PIDS=$PWD/pids "$POPS_BIN" eval run evals/echo.yaml -j 3 --no-store --no-cache --junit junit.xml >out 2>err & pid=$!; } &&
	i=0 &&
	while [ $(ls pids | wc -l) -lt 3 ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done &&
	test $(ls pids | wc -l) = 3 &&
	kill -INT $pid &&
	{ wait $pid; rc=$?; } &&
	test $rc = 130 &&
	gone $(ls pids) &&
	grep -q "interrupted" junit.xml out err
'

test_done

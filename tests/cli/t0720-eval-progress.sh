#!/bin/sh
# The progress bar of `pops eval run`: drawn on a terminal (a pseudo-
# terminal made by python3's pty module) with counts, cost and ETA, and
# erased before the summary; never drawn when stderr is not a terminal,
# under CI=true or TERM=dumb, and never wider than the terminal.
. "$(dirname "$0")/lib.sh"

# on-pty.py COLS OUT cmd...: run cmd with stdin, stdout and stderr on a new
# pseudo-terminal COLS wide, copy everything it prints to OUT, exit with
# its status. Bounded: the command is killed after 60 s.
cat >"$TRASH/on-pty.py" <<-\EOP
	import os, pty, select, signal, struct, subprocess, sys, time
	import fcntl, termios
	cols, out, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
	m, s = pty.openpty()
	fcntl.ioctl(s, termios.TIOCSWINSZ, struct.pack("HHHH", 24, cols, 0, 0))
	p = subprocess.Popen(cmd, stdin=s, stdout=s, stderr=s, close_fds=True)
	os.close(s)
	data, deadline = bytearray(), time.time() + 60
	while time.time() < deadline:
	    r, _, _ = select.select([m], [], [], 1.0)
	    if not r:
	        continue
	    try:
	        b = os.read(m, 65536)
	    except OSError:  # EIO: every writer has closed the terminal
	        break
	    if not b:
	        break
	    data += b
	if p.poll() is None:
	    p.kill()
	open(out, "wb").write(bytes(data))
	sys.exit(p.wait())
EOP

# bars.py FILE: check what a run printed on a terminal; prints the
# frames it found, one per line, for the checks that follow
cat >"$TRASH/bars.py" <<-\EOP
	import re, sys
	data = open(sys.argv[1], "rb").read()
	frame = re.compile(rb"\r(\[[#.]{24}\] )?(\d+)/(\d+)  pass (\d+)  fail (\d+)  error (\d+)"
	                   rb"(  \$[0-9.]+)?(  ETA [0-9hms]+)?\x1b\[K")
	for f in frame.finditer(data):
	    print(f.group(0)[1:-3].decode())
EOP

# a project whose 10 cases answer after 150 ms each, two of them failing
bar_project() {
	start_fakellm --latency 150 &&
	setup_project &&
	cat >pops.yaml <<-EOT &&
	version: 1
	providers:
	  fake: { type: openai, base_url: "$FAKELLM_URL/v1" }
	models:
	  fast: { provider: fake, id: m-1 }
	pricing:
	  m-1: { input: 1000, output: 2000 }
	EOT
	printf -- "---\nmodel: fast\n---\nEcho: {{word}}\n" >prompts/echo.prompt &&
	i=1 &&
	while [ $i -le 10 ]; do
		want=w$i && [ $i -gt 8 ] && want=nope
		echo "{\"id\":\"c$i\",\"vars\":{\"word\":\"w$i\"},\"expected\":\"$want\"}" || return 1
		i=$((i + 1))
	done >cases.jsonl &&
	printf "prompt: echo\ndataset: cases.jsonl\nthreshold: 0.5\nassert:\n  - { type: icontains, value: \"{{expected}}\" }\n" >evals/echo.yaml &&
	git add -A && git commit -q -m suite
}

# on_tty COLS [VAR=value...]: pops eval run on a pseudo-terminal into ./tty
on_tty() {
	cols=$1
	shift
	env -u CI -u NO_COLOR TERM=xterm "$@" python3 "$TRASH/on-pty.py" "$cols" tty \
		$POPS_WRAP "$POPS_BIN" eval run --no-store --no-cache -j 2
}

test_expect_success 'on a terminal: a live bar with counts, cost and ETA, erased before the summary' '
	bar_project &&
	on_tty 100 &&
	python3 "$TRASH/bars.py" tty >frames &&
	cat frames >&2 &&
	test $(wc -l <frames) -ge 3 &&
	grep -q "^\[\.\.\.*\] 0/10  pass 0  fail 0  error 0  \$0\.0000$" frames &&
	grep -q "/10  pass [0-9]*  fail [0-9]*  error 0  \$0\.[0-9]*  ETA [0-9]*s$" frames &&
	tail -n 1 frames >last &&
	grep -q "^\[#*\] 10/10  pass 8  fail 2  error 0  \$0\.0*[1-9][0-9]*$" last &&
	python3 - <<-\EOP
	import re
	data = open("tty", "rb").read()
	last_frame = data.rindex(b"10/10  pass 8")
	clear = data.index(b"\r\x1b[K", last_frame)
	summary = data.index(b"10 runs: 8 passed, 2 failed, 0 errors")
	# erased after the last frame, before the summary; nothing drawn after
	assert last_frame < clear < summary, (last_frame, clear, summary)
	assert b"\r[" not in data[clear + 4:], "a frame after the clear"
	# frames only ever grow: done never goes back
	done = [int(x) for x in re.findall(rb"\] (\d+)/10", data)]
	assert done == sorted(done) and done[0] == 0 and done[-1] == 10, done
	EOP
'

test_expect_success 'a narrow terminal: the bar is dropped, the line cut, never wrapped' '
	bar_project &&
	on_tty 40 &&
	python3 - <<-\EOP
	import re
	data = open("tty", "rb").read()
	frames = re.findall(rb"\r([^\r\x1b]*)\x1b\[K", data)
	frames = [f for f in frames if f]
	assert frames, data[:300]
	for f in frames:
	    assert len(f) <= 39, f
	    assert not f.startswith(b"["), f
	assert any(f.startswith(b"10/10  pass 8  fail 2") for f in frames), frames
	EOP
'

test_expect_success 'not a terminal: no bar, no carriage return, no escape' '
	bar_project &&
	( unset CI && pops eval run --no-store --no-cache -j 2 ) >out 2>err &&
	grep -q "10 runs: 8 passed, 2 failed, 0 errors" out &&
	! grep -q "$(printf "\\r")" out err &&
	! grep -q "$(printf "\\033")" out err &&
	! grep -q "ETA" out err
'

test_expect_success 'CI=true or TERM=dumb on a terminal: no bar, only the summary' '
	bar_project &&
	for setting in CI=true TERM=dumb; do
		on_tty 100 $setting &&
		grep -q "10 runs: 8 passed, 2 failed, 0 errors" tty &&
		! grep -q "ETA" tty &&
		! grep -q "pass 0  fail 0" tty &&
		! grep -q "$(printf "\\033")\\[K" tty || return 1
	done &&
	on_tty 100 CI=false &&
	grep -q "ETA" tty
'

test_expect_success 'NO_COLOR keeps the bar (it has no colour) and removes all colour' '
	bar_project &&
	on_tty 100 NO_COLOR=1 &&
	python3 "$TRASH/bars.py" tty >frames &&
	grep -q "10/10  pass 8  fail 2" frames &&
	python3 -c "import re,sys; d=open(\"tty\",\"rb\").read(); sys.exit(1 if re.search(rb\"\\x1b\\[[0-9;]*m\", d) else 0)"
'

test_done

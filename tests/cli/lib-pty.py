#!/usr/bin/env python3
"""lib-pty.py OUT CMD...: run CMD with stdin, stdout and stderr on a new
pseudo-terminal (80 columns), write what it printed to OUT (CRLF turned
back to LF) and exit with its status, so a test can see what a person at
a terminal sees."""
import os, pty, struct, sys, fcntl, termios

out, cmd = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
data = b""
while True:
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
_, status = os.waitpid(pid, 0)
open(out, "wb").write(data.replace(b"\r\n", b"\n"))
sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode")
         else (status >> 8))

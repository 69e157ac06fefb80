/**
 * The wrapper a managed Odoo runs under when odoodeck supervises it as a child (no systemd):
 * it ties Odoo's life to odoodeck's. Its stdin is a pipe held by odoodeck (locally) or an SSH
 * channel (remotely); when odoodeck stops, crashes or is killed -9, or the link drops, that
 * pipe ends and the wrapper stops Odoo (SIGTERM to its process group, SIGKILL after 20 s).
 * So a managed child never outlives odoodeck: nothing to re-adopt at the next start.
 *
 * Python because Odoo needs it on the server anyway; run as `python3 -c LIFELINE odoo-bin …`
 * (arguments stay an array). The first stdout line is "odoodeck-odoo-pid:<pid>".
 */
export const LIFELINE = `
import os, signal, subprocess, sys, threading
p = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, start_new_session=True)
sys.stdout.write("odoodeck-odoo-pid:%d\\n" % p.pid)
sys.stdout.flush()
def hit(sig):
    try:
        os.killpg(p.pid, sig)
    except OSError:
        pass
def end(*_):
    hit(signal.SIGTERM)
    t = threading.Timer(20, hit, [signal.SIGKILL])
    t.daemon = True
    t.start()
def watch():
    try:
        while os.read(0, 65536):
            pass
    except OSError:
        pass
    end()
for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
    signal.signal(s, end)
threading.Thread(target=watch, daemon=True).start()
code = p.wait()
hit(signal.SIGKILL)
sys.exit(code if code >= 0 else 128 - code)
`;

"""A small stand-in for systemd's service manager, enough to test privmemd's restarts fast:
a listening socket passed by socket activation, a notify socket that takes READY=1, STATUS=,
WATCHDOG=1 and the fd store (FDSTORE=1/FDNAME=, FDSTOREREMOVE=1), and restarts that hand the
stored fds back through LISTEN_FDS/LISTEN_FDNAMES, as systemd does."""
import array
import fcntl
import os
import select
import signal
import socket
import time

SD_LISTEN_FDS_START = 3


class ServiceManager:
    def __init__(self, argv, tmp, env=None, store_max=None, preexec=None, runtime_dir=None, notify_abstract=None):
        self.argv = argv
        self.tmp = tmp
        self.env = dict(env or os.environ)
        self.store = {}              # name -> [fd, ...] in the order stored
        self.files = {}              # (st_dev, st_ino) -> fd: one copy of a file, as systemd keeps
        self.store_max = store_max   # FileDescriptorStoreMax=: fds beyond it are closed
        self.preexec = preexec       # run in the child before exec (resource limits)
        self.runtime_dir = runtime_dir or os.path.join(tmp, "runtime")
        self.store_refused = 0
        self.last_hup_check = 0.0
        self.pid = None
        self.ready = False
        self.status = ""
        self.watchdog_pings = 0
        self.socket_path = os.path.join(tmp, "io.privmemd")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.socket_path)
        self.listener.listen(64)
        # $NOTIFY_SOCKET: a path, or an abstract name ("@name") when notify_abstract names one
        self.notify_path = "@" + notify_abstract if notify_abstract else os.path.join(tmp, "notify")
        self.notify = self._notify_socket()

    def _notify_socket(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.bind("\0" + self.notify_path[1:] if self.notify_path.startswith("@") else self.notify_path)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        s.settimeout(0.05)
        return s

    def replace_notify_socket(self):
        """Closes the notify socket (what is queued on it is lost) and binds a new one at its address."""
        self.notify.close()
        if not self.notify_path.startswith("@"):
            os.unlink(self.notify_path)
        self.notify = self._notify_socket()

    def store_all(self):
        return [fd for list_ in self.store.values() for fd in list_]

    @staticmethod
    def _file_key(fd):
        st = os.fstat(fd)
        return (st.st_dev, st.st_ino)

    def _forget(self, fd):
        key = self._file_key(fd)
        if self.files.get(key) == fd:
            del self.files[key]
        os.close(fd)

    def stored_names(self):
        return sorted(n for n, fds in self.store.items() if fds)

    def names_of_kind(self, kind):
        """privmemd's short names of one kind: 'r' ready memfds, 'l' leases, 'o' owner processes."""
        return sorted(n for n in self.stored_names() if n[0] == kind and 2 <= len(n) <= 4 and n[1:].isalnum())

    def lease_name(self, lease_id):
        """The name the memfd of a lease is stored under: the memfd says which lease it is."""
        for name, fds in self.store.items():
            for fd in fds:
                try:
                    target = os.readlink("/proc/self/fd/%d" % fd)
                except OSError:
                    continue
                if target.startswith("/memfd:privmemd:") and target.split(" ")[0].endswith(":" + lease_id):
                    return name
        return None

    def drop(self, name):
        """Closes and forgets the fds stored under name, as systemd does with one that hung up."""
        for fd in self.store.pop(name, []):
            self._forget(fd)

    def owner_name(self, pid):
        """The name the pidfd of an owner process is stored under."""
        for name in self.names_of_kind("o"):
            for fd in self.store[name]:
                with open("/proc/self/fdinfo/%d" % fd) as f:
                    if any(line.split() == ["Pid:", str(pid)] for line in f):
                        return name
        return None

    def _passed(self):
        """The fds to hand over: the socket first, then the store, each with its name."""
        fds = [self.listener.fileno()]
        names = ["varlink"]
        for name, list_ in self.store.items():
            for fd in list_:
                fds.append(fd)
                names.append(name)
        return fds, names

    def start(self, timeout=30):
        fds, names = self._passed()
        env = dict(self.env, NOTIFY_SOCKET=self.notify_path, LISTEN_FDS=str(len(fds)),
                   LISTEN_FDNAMES=":".join(names), RUNTIME_DIRECTORY=self.runtime_dir)
        os.makedirs(env["RUNTIME_DIRECTORY"], exist_ok=True)
        self.ready = False
        pid = os.fork()
        if pid == 0:
            try:
                self._exec_child(fds, env)
            except BaseException as e:  # noqa: B036
                os.write(2, ("stand-in service manager: cannot start privmemd: %r\n" % e).encode())
            finally:
                os._exit(127)
        self.pid = pid
        self.wait_ready(timeout)

    def _exec_child(self, fds, env):
        # Move the fds to 3, 4, ... as systemd does, in place: an fd still to be moved that sits
        # where another goes is moved out of the way first. (Copying them all above the targets
        # first needs fd numbers up to twice the store: over RLIMIT_NOFILE near 10,000 fds.)
        where = list(fds)                                   # where[i]: the number holding fds[i]
        holder = {fd: i for i, fd in enumerate(fds)}        # number -> i, for those not in place
        for i in range(len(fds)):
            target = SD_LISTEN_FDS_START + i
            src = where[i]
            if src == target:
                del holder[src]
                os.set_inheritable(target, True)
                continue
            j = holder.get(target)
            if j is not None:
                moved = fcntl.fcntl(target, fcntl.F_DUPFD_CLOEXEC, SD_LISTEN_FDS_START)
                where[j] = moved
                holder[moved] = j
            os.dup2(src, target, inheritable=True)
            os.close(src)
            del holder[src]
        env["LISTEN_PID"] = str(os.getpid())
        if self.preexec:
            self.preexec()
        os.closerange(SD_LISTEN_FDS_START + len(fds), os.sysconf("SC_OPEN_MAX"))
        os.execve(self.argv[0], self.argv, env)

    def drop_hung_up(self):
        """As systemd does: a stored fd that reports POLLHUP is closed and forgotten (a pidfd does
        once its process has been reaped). At most ten times a second: it polls every stored fd."""
        if time.monotonic() - self.last_hup_check < 0.1:
            return
        self.last_hup_check = time.monotonic()
        p = select.poll()
        for fd in self.store_all():
            p.register(fd, 0)
        for fd, events in p.poll(0):
            if events & select.POLLHUP:
                for list_ in self.store.values():
                    if fd in list_:
                        list_.remove(fd)
                self._forget(fd)

    def poll(self, seconds=0.0):
        """Reads notify messages for up to `seconds`."""
        end = time.monotonic() + seconds
        while True:
            self.drop_hung_up()
            try:
                msg, anc, _, _ = self.notify.recvmsg(4096, socket.CMSG_SPACE(253 * 4) + socket.CMSG_SPACE(64))
                self._handle(msg.decode(), anc)
            except socket.timeout:
                if time.monotonic() >= end:
                    return

    def _handle(self, text, anc):
        fds = array.array("i")
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
        fields = dict(line.split("=", 1) for line in text.split("\n") if "=" in line)
        if fields.get("READY") == "1":
            self.ready = True
        if "STATUS" in fields:
            self.status = fields["STATUS"]
        if fields.get("WATCHDOG") == "1":
            self.watchdog_pings += 1
        name = fields.get("FDNAME", "stored")
        if fields.get("FDSTORE") == "1":
            kept = self.store.setdefault(name, [])
            for fd in fds:
                key = self._file_key(fd)
                if key in self.files:
                    os.close(fd)  # systemd keeps one copy of a file, whatever its name
                elif self.store_max is not None and len(self.files) >= self.store_max:
                    self.store_refused += 1  # systemd: "Too many stored fds", closes it
                    os.close(fd)
                else:
                    self.files[key] = fd
                    kept.append(fd)
            fds = array.array("i")
        if fields.get("FDSTOREREMOVE") == "1":
            for fd in self.store.pop(name, []):
                self._forget(fd)
        for fd in fds:
            os.close(fd)

    def wait_ready(self, timeout):
        end = time.monotonic() + timeout
        while not self.ready:
            if time.monotonic() > end:
                raise TimeoutError("privmemd sent no READY=1 within %s s" % timeout)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.pid = None
                raise RuntimeError("privmemd exited before READY=1 (wait status 0x%x)" % status)
            self.poll(0.05)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Stops the daemon (by its pid) and reads what it said on the way out."""
        if self.pid is None:
            return None
        os.kill(self.pid, sig)
        end = time.monotonic() + timeout
        while True:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > end:
                os.kill(self.pid, signal.SIGKILL)
            self.poll(0.05)
        self.pid = None
        self.poll(0.1)
        return status

    def close(self):
        self.stop(signal.SIGKILL)
        for fds in self.store.values():
            for fd in fds:
                os.close(fd)
        self.store = {}
        self.files = {}
        self.listener.close()
        self.notify.close()

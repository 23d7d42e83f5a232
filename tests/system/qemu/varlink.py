"""A minimal varlink client for the system tests: one call, one reply, fds by SCM_RIGHTS."""
import array
import json
import socket


class VarlinkError(Exception):
    def __init__(self, error, parameters):
        super().__init__(f"{error} {parameters}")
        self.error = error
        self.parameters = parameters


class Connection:
    def __init__(self, path, timeout=30):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.fds = []

    def close(self):
        self.sock.close()
        for fd in self.fds:
            socket.close(fd)
        self.fds = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _read_message(self):
        while b"\0" not in self.buf:
            fds = array.array("i")
            data, anc, _, _ = self.sock.recvmsg(65536, socket.CMSG_SPACE(16 * fds.itemsize),
                                                 socket.MSG_CMSG_CLOEXEC)
            for level, kind, payload in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.frombytes(payload[:len(payload) - len(payload) % fds.itemsize])
            self.fds.extend(fds)
            if not data:
                raise ConnectionError("the server hung up")
            self.buf += data
        msg, _, self.buf = self.buf.partition(b"\0")
        return json.loads(msg)

    def call(self, method, **parameters):
        """Returns (parameters, fds) of the reply; the caller owns the fds. Errors raise."""
        self.sock.sendall(json.dumps({"method": method, "parameters": parameters}).encode() + b"\0")
        reply = self._read_message()
        fds, self.fds = self.fds, []
        if "error" in reply:
            for fd in fds:
                socket.close(fd)
            raise VarlinkError(reply["error"], reply.get("parameters", {}))
        return reply.get("parameters", {}), fds


def call(path, method, **parameters):
    """One call on a fresh connection; for calls that carry no fds back."""
    with Connection(path) as c:
        return c.call(method, **parameters)[0]

"""A minimal varlink client for the tests: NUL-framed JSON, fds by SCM_RIGHTS both ways."""
import array
import json
import socket


class VarlinkError(Exception):
    def __init__(self, error, parameters):
        super().__init__("%s %s" % (error, json.dumps(parameters)))
        self.error = error
        self.parameters = parameters


class Client:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""
        self.fds = []

    def send(self, method, parameters=None, fds=(), **flags):
        msg = dict(method=method, parameters=parameters or {}, **flags)
        data = json.dumps(msg).encode() + b"\0"
        anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
        self.sock.sendmsg([data], anc)

    def receive(self):
        """The next reply: (parameters, fds); raises VarlinkError for an error reply."""
        while b"\0" not in self.buf:
            data, anc, _, _ = self.sock.recvmsg(1 << 20, socket.CMSG_SPACE(253 * 4))
            if not data:
                raise ConnectionError("privmemd hung up")
            for level, kind, payload in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    a = array.array("i")
                    a.frombytes(payload[:len(payload) - len(payload) % a.itemsize])
                    self.fds.extend(a)
            self.buf += data
        i = self.buf.index(b"\0")
        msg = json.loads(self.buf[:i])
        self.buf = self.buf[i + 1:]
        fds, self.fds = self.fds, []
        if "error" in msg:
            raise VarlinkError(msg["error"], msg.get("parameters", {}))
        return msg.get("parameters", {}), fds

    def call(self, method, parameters=None, fds=()):
        self.send(method, parameters, fds)
        return self.receive()

    def close(self):
        self.sock.close()

#!/usr/bin/env python3
# Writes the seed corpus of fuzz-varlink-server (records of [length][flags][data], see the target).
import os
import sys

FDS1, RUN, READ, FINISH, NOTIFY, HALF_CLOSE = 1, 4, 8, 16, 32, 64


def records(data, flags=RUN | READ, size=255, first_flags=None):
    out = b''
    for i in range(0, len(data), size) if data else [0]:
        f = flags if i or first_flags is None else first_flags
        chunk = data[i:i + size]
        out += bytes([len(chunk), f]) + chunk
    return out


def call(text):
    return text.encode() + b'\0'


SEEDS = {
    'get-info': records(call('{"method":"org.varlink.service.GetInfo"}')),
    'describe': records(call('{"method":"org.varlink.service.GetInterfaceDescription","parameters":{"interface":"io.test"}}')),
    'pipelined': records(b''.join(call('{"method":"io.test.Echo","parameters":{"n":%d}}' % i) for i in range(3))),
    'byte-by-byte': records(call('{"method":"io.test.Echo","parameters":null}'), size=1),
    'glued': records(call('{"method":"io.test.Echo"}'), flags=0) + records(call('{"method":"io.test.TakeFd","parameters":{"fd":0}}'), flags=FDS1 | RUN | READ),
    'stream': records(call('{"method":"io.test.Stream","more":true,"parameters":{"count":3}}')),
    'expected-more': records(call('{"method":"io.test.Stream","parameters":{"count":3}}')),
    'oneway': records(call('{"method":"io.test.Echo","oneway":true}') + call('{"method":"io.test.Fail"}')),
    'upgrade': records(call('{"method":"io.test.Echo","upgrade":true}')),
    'typed': records(call('{"method":"io.test.Typed","parameters":{"i":1,"f":2,"s":"x","b":true,"o":{},"a":[]}}')),
    'take-fd': records(call('{"method":"io.test.TakeFd","parameters":{"fd":0}}'), flags=FDS1 | RUN | READ),
    'ignore-fds': records(call('{"method":"io.test.IgnoreFds"}'), flags=3 | RUN | READ),
    'send-fds': records(call('{"method":"io.test.SendFds","parameters":{"count":5}}')),
    'fd-mid-message': records(call('{"method":"io.test.IgnoreFds"}'), size=8, flags=FDS1 | RUN, first_flags=RUN),
    'defer': records(call('{"method":"io.test.Defer"}') + call('{"method":"io.test.Echo"}')) + records(b'', flags=FINISH | RUN | READ),
    'subscribe': records(call('{"method":"io.test.Subscribe","more":true}')) + records(b'', flags=NOTIFY | RUN | READ) * 3 + records(b'', flags=FINISH | RUN | READ),
    'half-close': records(call('{"method":"io.test.Echo"}'), flags=RUN | HALF_CLOSE),
    'invalid-json': records(b'{"method":\0'),
    'unknown-key': records(call('{"method":"io.test.Echo","bogus":1}')),
}

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), 'corpus')
os.makedirs(out, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)

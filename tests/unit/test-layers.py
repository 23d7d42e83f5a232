#!/usr/bin/env python3
# The layers are enforced by the build: for every target that compiles a layer's files, an include
# of a layer it may not see must fail to compile, and one it may see must compile. Runs the real
# compile commands (compile_commands.json) on a probe file, so a stray include directory in meson
# fails here. Also: no include climbs out of its folder ("../").
#   test-layers.py SOURCE_ROOT BUILD_ROOT
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

# The direction of calls, bottom first: what each layer may include besides itself. This is the
# reference; the `layers` table in the top meson.build must agree with it (docs/ARCHITECTURE.md).
COMMON = ['util', 'varlink', 'schema']
BELOW = {
    'util': [],
    'varlink': ['util'],
    'schema': ['util'],
    'memfd': ['util', 'schema'],
    'config': ['util', 'schema', 'memfd'],
    'core': COMMON + ['memfd', 'config'],
    'store': COMMON + ['memfd', 'config', 'core'],
    'virt': COMMON + ['memfd', 'config', 'core'],
    'manager': COMMON + ['memfd', 'config', 'core', 'store', 'virt'],
    'api': COMMON + ['memfd', 'config', 'core', 'store', 'virt', 'manager'],
    'client': COMMON,               # libprivmem and privmemctl: the wire, never the daemon
}
FOLDERS = {
    'common/util/': 'util', 'common/varlink/': 'varlink', 'common/schema/': 'schema', 'daemon/memfd/': 'memfd',
    'daemon/config/': 'config', 'daemon/core/': 'core', 'daemon/store/': 'store',
    'daemon/virt/': 'virt', 'daemon/manager/': 'manager', 'daemon/api/': 'api', 'client/': 'client',
}
# Files that still call up, and what they may see in addition (layer_upcalls in the top meson.build).
UPCALLS = {}
# One header of each layer, to include.
PROBE = {
    'util': 'util/macro.h', 'varlink': 'varlink/varlink-server.h', 'schema': 'schema/io-privmemd.h',
    'memfd': 'memfd/memfd-ops.h',
    'config': 'config/config.h', 'core': 'core/pool.h', 'store': 'store/fdstore.h',
    'virt': 'virt/libvirt.h', 'manager': 'manager/manager.h', 'api': 'api/methods.h',
}
SKIP = 77


def layer_of(path):
    for folder, layer in FOLDERS.items():
        if path.startswith(folder):
            return layer
    return None


def allowed(path):
    layer = layer_of(path)
    seen = set(BELOW[layer] + UPCALLS.get(path, []))
    if layer in PROBE:
        seen.add(layer)
    return seen


def probe_command(entry, probe):
    """The entry's command, preprocessing probe instead of its file."""
    args, out = shlex.split(entry['command']), []
    skip = False
    for a in args:
        if skip:
            skip = False
        elif a in ('-o', '-MQ', '-MF', '-MT'):
            skip = True
        elif a in ('-c', '-MD', '-MMD') or a == entry['file']:
            pass
        else:
            out.append(a)
    return out + ['-E', '-o', os.devnull, probe]


def check_target(entry, path, tmp):
    """Returns the failures for the target that compiles path."""
    failures = []
    seen = allowed(path)
    for layer, header in PROBE.items():
        probe = os.path.join(tmp, 'probe-%s.c' % layer)
        with open(probe, 'w') as f:
            f.write('#include "%s"\n' % header)
        r = subprocess.run(probe_command(entry, probe), cwd=entry['directory'],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if layer in seen and r.returncode != 0:
            failures.append('%s may include %s, but that does not compile:\n%s' % (path, header, r.stderr))
        elif layer not in seen and r.returncode == 0:
            failures.append('%s must not see layer %s, but #include "%s" compiles' % (path, layer, header))
    return failures


def climbing_includes(source_root):
    bad = []
    include = re.compile(r'^\s*#\s*include\s*"(\.\./|/)')
    for top in ('common', 'daemon', 'client'):
        for d, _, files in os.walk(os.path.join(source_root, top)):
            for name in files:
                if name.endswith(('.c', '.h')):
                    p = os.path.join(d, name)
                    with open(p) as f:
                        for n, line in enumerate(f, 1):
                            if include.match(line):
                                bad.append('%s:%d: %s' % (os.path.relpath(p, source_root), n, line.strip()))
    return bad


def main():
    source_root, build_root = sys.argv[1:3]
    db = os.path.join(build_root, 'compile_commands.json')
    if not os.path.exists(db):
        print('no %s: this build has no compile database' % db)
        return SKIP
    with open(db) as f:
        entries = json.load(f)

    # One command per target and kind of file: the flags are per target.
    targets = {}
    for e in entries:
        path = os.path.relpath(os.path.normpath(os.path.join(e['directory'], e['file'])), source_root)
        if layer_of(path) is None or '/fuzz' in e['output']:
            continue
        key = (os.path.dirname(e['output']), frozenset(allowed(path)))
        targets.setdefault(key, (e, path))

    failures = ['an include climbs out of its folder: ' + b for b in climbing_includes(source_root)]
    with tempfile.TemporaryDirectory() as tmp:
        for e, path in targets.values():
            failures += check_target(e, path, tmp)
    layers = sorted({layer_of(p) for _, p in targets.values()})
    for f in failures:
        print('FAIL:', f)
    print('%d targets of layers %s checked against %d layers: %d failure(s)'
          % (len(targets), ' '.join(layers), len(PROBE), len(failures)))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
# Turns a text file (an interface description) into a C file with one string constant.
import sys

src, dst, name = sys.argv[1:4]
with open(src, encoding='utf-8') as f:
    text = f.read()
with open(dst, 'w', encoding='utf-8') as f:
    f.write('/* Generated from %s by embed-text.py. */\n' % src.split('/')[-1])
    f.write('const char %s[] =\n' % name)
    for line in text.splitlines(keepends=True):
        f.write('        "%s"\n' % line.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n'))
    f.write('        ;\n')

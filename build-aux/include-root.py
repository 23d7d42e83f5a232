#!/usr/bin/env python3
# Makes one layer's include root: a directory of symlinks, NAME -> the folder of layer NAME, for the
# layer itself and the layers below it that it may include. Run by meson at configure time.
#   include-root.py ROOT NAME=FOLDER...
import os
import shutil
import sys

root = sys.argv[1]
if os.path.isdir(root):
    shutil.rmtree(root)
os.makedirs(root)
for arg in sys.argv[2:]:
    name, folder = arg.split('=', 1)
    os.symlink(folder, os.path.join(root, name))
